//! The connection a read runs on: the store's own, or an open write
//! transaction's (sealed: only the storage module implements it).

mod sealed {
    /// Gives the connection the queries run on (the store's, or an open transaction's).
    pub trait Connected {
        fn conn(&self) -> &rusqlite::Connection;
    }
}
pub(crate) use sealed::Connected;
