//! Facts about uploaded media read from the files themselves, never taken from the client.
pub mod image;
pub mod pdf;
pub mod video;
