//! Disk storage: streams bodies to files with an incremental MD5, writes resumable chunks at their
//! offset, hashes files in order, and reads an MP4's `mvhd` duration.

use std::fs::File as StdFile;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Streams `stream` into a new file at `path`; returns (size, md5 hex). `on_chunk` sees each
/// chunk's length as it arrives (progress).
pub async fn write_stream<S, E>(
    path: &Path,
    mut stream: S,
    mut on_chunk: impl FnMut(u64),
) -> io::Result<(u64, String)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut file =
        tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::create(path).await?);
    let mut md5 = Md5::new();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| io::Error::other(e.to_string()))?;
        md5.update(&chunk);
        file.write_all(&chunk).await?;
        size += chunk.len() as u64;
        on_chunk(chunk.len() as u64);
    }
    file.flush().await?;
    Ok((size, hex::encode(md5.finalize())))
}

/// Like [`write_stream`], into a temporary file renamed to `path` only when the whole body
/// arrived (and has `expected` bytes, when given): concurrent or failed uploads never leave a
/// half-written file, and the last complete one wins.
pub async fn write_file<S, E>(
    path: &Path,
    stream: S,
    expected: Option<u64>,
    on_chunk: impl FnMut(u64),
) -> io::Result<(u64, String)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!("{name}.{}.tmp", crate::util::random_hex(8)));
    let result = match write_stream(&tmp, stream, on_chunk).await {
        Ok((n, _)) if expected.is_some_and(|e| e != n) => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("got {n} bytes, expected {}", expected.unwrap_or_default()),
        )),
        other => other,
    };
    match result {
        Ok(v) => {
            tokio::fs::rename(&tmp, path).await?;
            Ok(v)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    }
}

/// Opens (creating, never truncating) a sparse file of `total` bytes.
pub async fn open_sparse(path: &Path, total: u64) -> io::Result<tokio::fs::File> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .await?;
    if file.metadata().await?.len() < total {
        file.set_len(total).await?;
    }
    Ok(file)
}

/// Writes `data` at `offset`.
pub async fn write_at(file: &mut tokio::fs::File, offset: u64, data: &[u8]) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset)).await?;
    file.write_all(data).await
}

/// Size and MD5 hex of the concatenation of `paths`.
pub async fn md5_files(paths: &[PathBuf]) -> io::Result<(u64, String)> {
    let mut md5 = Md5::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for p in paths {
        let mut f = tokio::fs::File::open(p).await?;
        loop {
            let n = f.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            md5.update(&buf[..n]);
            size += n as u64;
        }
    }
    Ok((size, hex::encode(md5.finalize())))
}

/// Random-access reader over files concatenated in order.
struct Concat {
    files: Vec<(PathBuf, u64)>,
}

impl Concat {
    fn total(&self) -> u64 {
        self.files.iter().map(|f| f.1).sum()
    }

    fn read_at(&self, mut offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        for (path, len) in &self.files {
            if done == buf.len() {
                break;
            }
            if offset >= *len {
                offset -= len;
                continue;
            }
            let mut f = StdFile::open(path)?;
            f.seek(SeekFrom::Start(offset))?;
            let want = ((len - offset) as usize).min(buf.len() - done);
            f.read_exact(&mut buf[done..done + want])?;
            done += want;
            offset = 0;
        }
        Ok(done)
    }

    /// Finds a box of `kind` among the boxes in `start..end`; returns its payload range.
    fn find_box(&self, start: u64, end: u64, kind: &[u8; 4]) -> io::Result<Option<(u64, u64)>> {
        let mut pos = start;
        while pos + 8 <= end {
            let mut h = [0u8; 16];
            let n = self.read_at(pos, &mut h)?;
            if n < 8 {
                return Ok(None);
            }
            let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
            let (size, header) = match size32 {
                0 => (end - pos, 8),
                1 if n >= 16 => (
                    u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]),
                    16,
                ),
                s => (s, 8),
            };
            if size < header {
                return Ok(None);
            }
            if &h[4..8] == kind {
                return Ok(Some((pos + header, (pos + size).min(end))));
            }
            pos = pos.saturating_add(size);
        }
        Ok(None)
    }
}

/// Duration in seconds from an MP4's `moov/mvhd`, if the files form a parsable MP4.
pub async fn probe_duration(paths: Vec<PathBuf>) -> Option<f64> {
    tokio::task::spawn_blocking(move || {
        let files = paths
            .into_iter()
            .map(|p| {
                let len = std::fs::metadata(&p)?.len();
                Ok((p, len))
            })
            .collect::<io::Result<Vec<_>>>()
            .ok()?;
        let c = Concat { files };
        let (ms, me) = c.find_box(0, c.total(), b"moov").ok()??;
        let (hs, _) = c.find_box(ms, me, b"mvhd").ok()??;
        let mut b = [0u8; 32];
        let n = c.read_at(hs, &mut b).ok()?;
        let (scale, dur) = if b[0] == 1 {
            if n < 32 {
                return None;
            }
            let scale = u32::from_be_bytes([b[20], b[21], b[22], b[23]]) as u64;
            let dur = u64::from_be_bytes([b[24], b[25], b[26], b[27], b[28], b[29], b[30], b[31]]);
            (scale, dur)
        } else {
            if n < 20 {
                return None;
            }
            let scale = u32::from_be_bytes([b[12], b[13], b[14], b[15]]) as u64;
            let dur = u32::from_be_bytes([b[16], b[17], b[18], b[19]]) as u64;
            (scale, dur)
        };
        if scale == 0 {
            return None;
        }
        Some(dur as f64 / scale as f64)
    })
    .await
    .ok()
    .flatten()
}

/// A minimal MP4 (`ftyp` + `moov/mvhd`) lasting `secs` seconds: for tests and demos.
pub fn tiny_mp4(secs: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&16u32.to_be_bytes());
    out.extend_from_slice(b"ftypisom");
    out.extend_from_slice(&0u32.to_be_bytes());
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&(secs * 1000).to_be_bytes());
    let mvhd_box_len = 8 + mvhd.len() as u32;
    out.extend_from_slice(&(8 + mvhd_box_len).to_be_bytes());
    out.extend_from_slice(b"moov");
    out.extend_from_slice(&mvhd_box_len.to_be_bytes());
    out.extend_from_slice(b"mvhd");
    out.extend_from_slice(&mvhd);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_mvhd_across_files() {
        let dir = std::env::temp_dir().join(format!("jw-sim-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let mp4 = tiny_mp4(7);
        let (a, b) = mp4.split_at(30);
        std::fs::write(dir.join("a"), a).ok();
        std::fs::write(dir.join("b"), b).ok();
        let d = probe_duration(vec![dir.join("a"), dir.join("b")]).await;
        assert_eq!(d, Some(7.0));
        std::fs::write(dir.join("c"), b"not an mp4 at all").ok();
        assert_eq!(probe_duration(vec![dir.join("c")]).await, None);
        std::fs::remove_dir_all(&dir).ok();
    }
}
