//! The SQLite connection's own thread: every call runs there, so no async
//! runtime thread ever waits on the file (a busy lock, a sync to disk). A
//! call is a closure sent over a channel and answered over a one-shot
//! channel, which any executor can await (the terminal's tests drive the
//! store with a plain `block_on`). A session holds the thread for the
//! calls of one transaction; when its handle is dropped, an open
//! transaction is rolled back.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::{ServerError, StorageError};

/// One call to run on the connection.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

enum Message {
    /// One call.
    Run(Job),
    /// The calls of one transaction, until the session's handle is dropped.
    Session(mpsc::Receiver<Job>),
}

/// The handle of the connection's thread; the thread ends (and closes the
/// connection) when the handle is dropped.
pub(super) struct Worker {
    queue: mpsc::Sender<Message>,
}

impl Worker {
    /// Moves the connection to a new thread.
    pub(super) fn start(conn: Connection) -> Result<Worker, StorageError> {
        let (queue, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("escrow-sqlite".into())
            .spawn(move || serve(conn, inbox))
            .map_err(|e| StorageError::Unavailable {
                engine: "SQLite",
                source: e.into(),
            })?;
        Ok(Worker { queue })
    }

    /// Runs one call on the connection.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, ServerError>
    where
        F: FnOnce(&mut Connection) -> Result<T, ServerError> + Send + 'static,
        T: Send + 'static,
    {
        call(|job| self.queue.send(Message::Run(job)).is_ok(), f).await
    }

    /// Reserves the connection for the calls of one transaction.
    pub(super) fn session(&self) -> Result<Session, ServerError> {
        let (jobs, inbox) = mpsc::channel();
        self.queue
            .send(Message::Session(inbox))
            .map_err(|_| gone())?;
        Ok(Session { jobs })
    }
}

/// The connection reserved for one transaction.
pub(super) struct Session {
    jobs: mpsc::Sender<Job>,
}

impl Session {
    /// Runs one call of the transaction.
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, ServerError>
    where
        F: FnOnce(&mut Connection) -> Result<T, ServerError> + Send + 'static,
        T: Send + 'static,
    {
        call(|job| self.jobs.send(job).is_ok(), f).await
    }
}

fn gone() -> ServerError {
    StorageError::Unavailable {
        engine: "SQLite",
        source: "the connection's thread has stopped".into(),
    }
    .into()
}

async fn call<T, F>(send: impl FnOnce(Job) -> bool, f: F) -> Result<T, ServerError>
where
    F: FnOnce(&mut Connection) -> Result<T, ServerError> + Send + 'static,
    T: Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move |conn| {
        // The caller may have gone (a cancelled request): nothing to answer.
        let _ = reply.send(f(conn));
    });
    if !send(job) {
        return Err(gone());
    }
    answer.await.map_err(|_| gone())?
}

fn serve(mut conn: Connection, inbox: mpsc::Receiver<Message>) {
    while let Ok(message) = inbox.recv() {
        match message {
            Message::Run(job) => run_job(&mut conn, job),
            Message::Session(jobs) => {
                while let Ok(job) = jobs.recv() {
                    run_job(&mut conn, job);
                }
                if !conn.is_autocommit()
                    && let Err(e) = conn.execute_batch("ROLLBACK")
                {
                    tracing::error!(error = %e, "SQLite: cannot roll back an abandoned transaction");
                }
            }
        }
    }
}

/// Runs a job; a panic is logged and its caller answered with an error (its
/// reply channel is dropped), and the thread serves on.
fn run_job(conn: &mut Connection, job: Job) {
    if std::panic::catch_unwind(AssertUnwindSafe(|| job(conn))).is_err() {
        tracing::error!("a SQLite call panicked; its caller gets an error");
    }
}
