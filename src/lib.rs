//! Courier terminal library.
