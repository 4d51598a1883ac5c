//! Carrying out the engine's requests: bodies by XHR (progress, abort), control calls too.
pub mod fetch;
pub mod xhr;
