//! `use_upload_queue`: the queue behind the widget. It holds the items, starts at most
//! `parallel_files` of them at once, prepares each through [`session::prepare`] (the JS API's
//! start path) and drives it through the crate's [`Driver`].

use std::collections::HashMap;
use std::rc::Rc;

use jw_upload_core::link::Resource;
use leptos::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, File};

use super::announcer::Announcer;
use super::item::{Item, Phase, Progress};
use super::options::WidgetOptions;
use crate::driver::Driver;
use crate::md5::Md5Worker;
use crate::session::{self, FileSettings};
use crate::{source, timer};
use csrf::Csrf;

mod csrf;
mod events;

/// Called with an event name (`upload-start`...) and its detail, for the element's DOM events.
pub type EventHook = Rc<dyn Fn(&str, serde_json::Value)>;

/// Options of [`use_upload_queue_with_options`].
#[derive(Clone, Default)]
pub struct UseUploadQueueOptions {
    /// Told about every start, progress, retry, success, ready and error.
    pub on_event: Option<EventHook>,
}

/// The queue. `Copy`: every part is a reactive handle.
#[derive(Clone, Copy)]
pub struct Queue {
    /// The rows, in the order the files came.
    pub items: RwSignal<Vec<Item>>,
    /// The options in force (read when an item starts).
    pub options: Signal<WidgetOptions>,
    /// The live region.
    pub announcer: Announcer,
    local: StoredValue<Local, LocalStorage>,
}

struct Local {
    next_id: u32,
    files: HashMap<u32, File>,
    /// Taken out (cloned) before use: a driver calls back into the queue synchronously.
    drivers: HashMap<u32, Rc<Driver>>,
    /// Bumped on each (re)start and cancel, so a stale run's events are ignored.
    runs: HashMap<u32, u32>,
    csrf: Csrf,
    md5: Option<Rc<Md5Worker>>,
    on_event: Option<EventHook>,
    all_done_said: bool,
}

/// A queue configured by `options`, announcing through `announcer`.
pub fn use_upload_queue(options: Signal<WidgetOptions>, announcer: Announcer) -> Queue {
    use_upload_queue_with_options(options, announcer, UseUploadQueueOptions::default())
}

/// [`use_upload_queue`] with an event hook.
pub fn use_upload_queue_with_options(
    options: Signal<WidgetOptions>,
    announcer: Announcer,
    extra: UseUploadQueueOptions,
) -> Queue {
    let local = StoredValue::new_local(Local {
        next_id: 1,
        files: HashMap::new(),
        drivers: HashMap::new(),
        runs: HashMap::new(),
        csrf: Csrf::Unknown,
        md5: None,
        on_event: extra.on_event,
        all_done_said: false,
    });
    let queue = Queue {
        items: RwSignal::new(Vec::new()),
        options,
        announcer,
        local,
    };
    on_cleanup(move || {
        // Dropping the drivers aborts whatever is in flight.
        local.update_value(|l| l.drivers.clear());
    });
    queue
}

fn now_ms() -> f64 {
    timer::now().0 as f64
}

impl Queue {
    fn labels(&self) -> super::labels::Labels {
        self.options.with_untracked(|o| o.labels.clone())
    }

    fn item(&self, id: u32) -> Option<Item> {
        self.items
            .with_untracked(|items| items.iter().find(|i| i.id == id).cloned())
    }

    fn run_of(&self, id: u32) -> u32 {
        self.local
            .with_value(|l| l.runs.get(&id).copied().unwrap_or(0))
    }

    /// Queues files (each starts when a slot is free).
    pub fn add_files(&self, files: Vec<File>) {
        let opts = self.options.get_untracked();
        let mut refused = Vec::new();
        for file in files {
            let blob: &Blob = file.as_ref();
            let id = self.local.try_update_value(|l| {
                let id = l.next_id;
                l.next_id += 1;
                id
            });
            let Some(id) = id else { continue };
            let mut item = self.new_item(id, file.name(), Some(source::size_of(blob)), None, &opts);
            // `accept` holds for drops and `addFiles` too, not only the picker's filter.
            if let Err(r) = jw_upload_core::accept::check(&opts.accept, &item.name, &blob.type_()) {
                let why = format!("not accepted here: this uploader {r}");
                item.refusal = Some(why.clone());
                self.items.update(|items| items.push(item.clone()));
                refused.push((item, why));
                continue;
            }
            self.local.update_value(|l| {
                l.files.insert(id, file);
            });
            self.items.update(|items| items.push(item));
        }
        // Failed once every file of this batch has its row, so "the queue is over" is not
        // said while the accepted ones wait.
        for (item, why) in refused {
            self.fail(&item, why);
        }
        self.schedule();
    }

    /// Queues an import: the platform fetches `url` itself.
    pub fn import_url(&self, url: String) {
        let opts = self.options.get_untracked();
        let Some(id) = self.local.try_update_value(|l| {
            let id = l.next_id;
            l.next_id += 1;
            id
        }) else {
            return;
        };
        let mut item = self.new_item(id, url.clone(), None, Some(url), &opts);
        item.requested = Some(jw_upload_core::Method::Fetch);
        item.resource = Resource::Video;
        item.method.set(Some(jw_upload_core::Method::Fetch));
        self.items.update(|items| items.push(item));
        self.schedule();
    }

    fn new_item(
        &self,
        id: u32,
        name: String,
        size: Option<u64>,
        url: Option<String>,
        opts: &WidgetOptions,
    ) -> Item {
        let video_key = Some(opts.video_key.clone()).filter(|k| !k.is_empty());
        Item {
            id,
            name,
            size,
            url,
            resource: opts.resource,
            video_key,
            requested: opts.method,
            method: RwSignal::new(opts.method),
            phase: RwSignal::new(Phase::Queued),
            progress: RwSignal::new(Progress {
                total: size.unwrap_or(0),
                ..Progress::default()
            }),
            media_id: RwSignal::new(None),
            refusal: None,
            status_note: RwSignal::new(None),
        }
    }

    /// Starts queued items while fewer than `parallel_files` are active.
    pub fn schedule(&self) {
        let limit = self.options.with_untracked(|o| o.parallel_files.max(1));
        let items = self.items.get_untracked();
        let mut active = items
            .iter()
            .filter(|i| i.phase.with_untracked(Phase::is_active))
            .count();
        for item in items {
            if active >= limit {
                break;
            }
            if item.phase.get_untracked() == Phase::Queued {
                self.start(item);
                active += 1;
            }
        }
    }

    fn start(&self, item: Item) {
        let run = self
            .local
            .try_update_value(|l| {
                l.all_done_said = false;
                let r = l.runs.entry(item.id).or_insert(0);
                *r += 1;
                *r
            })
            .unwrap_or(0);
        item.phase.set(Phase::Waiting);
        item.media_id.set(None);
        item.status_note.set(None);
        item.progress.update(|p| {
            *p = Progress {
                total: item.size.unwrap_or(0),
                ..Progress::default()
            }
        });
        self.announcer.say(
            self.labels()
                .fill("announce_start", &[("name", &item.name)]),
        );
        self.emit("upload-start", Self::detail(&item));
        let queue = *self;
        self.with_csrf(move |token| {
            if queue.run_of(item.id) != run {
                return;
            }
            match token {
                Ok(token) => queue.launch(item, run, token),
                Err(why) => queue.fail(&item, why),
            }
        });
    }

    fn md5_worker(&self) -> Option<Rc<Md5Worker>> {
        self.local
            .try_update_value(|l| {
                if l.md5.is_none() {
                    l.md5 = Md5Worker::new().ok().map(Rc::new);
                }
                l.md5.clone()
            })
            .flatten()
    }

    /// Prepares the item's upload through the one start path (limits, the 2-second rule,
    /// resume after a reload), then drives it, unless it was cancelled meanwhile.
    fn launch(&self, item: Item, run: u32, token: Option<String>) {
        let settings = self
            .options
            .with_untracked(|o| o.settings(token.as_deref()));
        let file = self.local.with_value(|l| l.files.get(&item.id).cloned());
        let following = settings.status_endpoint.is_some();
        let queue = *self;
        spawn_local(async move {
            let prepared = match (file, &item.url) {
                (Some(file), _) => {
                    let file_settings = FileSettings {
                        method: item.requested,
                        resource: (item.resource != Resource::Video).then_some(item.resource),
                        metadata: None,
                        video_key: item.video_key.clone(),
                    };
                    let md5 = || queue.md5_worker();
                    session::prepare(file.into(), &settings, &file_settings, md5).await
                }
                (None, Some(url)) => session::prepare_import(url.clone(), &settings, None),
                (None, None) => return queue.fail(&item, "the file is gone".into()),
            };
            let current = queue
                .local
                .try_with_value(|l| l.runs.get(&item.id).copied());
            if current != Some(Some(run))
                || item.phase.try_with_untracked(Phase::is_over) != Some(false)
            {
                return;
            }
            let prepared = match prepared {
                Ok(p) => p,
                Err(e) => return queue.fail(&item, e.message()),
            };
            let sink = queue.sink(item.clone(), run, following);
            let driver = prepared.start(settings.creds, sink);
            queue.local.try_update_value(|l| {
                l.drivers.insert(item.id, Rc::new(driver));
            });
        });
    }

    fn driver(&self, id: u32) -> Option<Rc<Driver>> {
        self.local
            .try_with_value(|l| l.drivers.get(&id).cloned())
            .flatten()
    }

    /// Pauses an uploading item.
    pub fn pause(&self, id: u32) {
        if let Some(d) = self.driver(id) {
            d.pause();
        }
        self.schedule();
    }

    /// Resumes a paused item.
    pub fn resume(&self, id: u32) {
        if let Some(d) = self.driver(id) {
            d.resume();
        }
    }

    /// Cancels an item: its requests are aborted at once.
    pub fn cancel(&self, id: u32) {
        let driver = self
            .local
            .try_update_value(|l| {
                *l.runs.entry(id).or_insert(0) += 1;
                l.drivers.remove(&id)
            })
            .flatten();
        if let Some(d) = driver {
            d.cancel();
        }
        if let Some(item) = self.item(id) {
            if !item.phase.with_untracked(Phase::is_over) {
                item.phase.set(Phase::Cancelled);
                self.emit("upload-cancel", Self::detail(&item));
            }
        }
        self.finished(id);
    }

    /// Queues a failed or cancelled item again, from the start.
    pub fn retry(&self, id: u32) {
        if let Some(item) = self.item(id).filter(|i| i.refusal.is_none()) {
            if matches!(
                item.phase.get_untracked(),
                Phase::Failed(_) | Phase::Cancelled
            ) {
                self.forget_csrf_failure();
                item.phase.set(Phase::Queued);
                self.schedule();
            }
        }
    }

    /// Removes an item (cancelling it first if it runs).
    pub fn remove(&self, id: u32) {
        if self
            .item(id)
            .is_some_and(|i| !i.phase.with_untracked(Phase::is_over))
        {
            self.cancel(id);
        }
        self.local.update_value(|l| {
            l.files.remove(&id);
            l.drivers.remove(&id);
        });
        self.items.update(|items| items.retain(|i| i.id != id));
        self.schedule();
    }
}
