//! One start of an enrolled terminal with background sync opens the database
//! once per thread that writes: the screens' terminal and the sync thread
//! (whose engine also loads the manifests it downloads, on the same
//! connection). Counted from outside: the open files of this process.

mod sync_support;

use std::path::Path;

use courier_terminal::assembly::DeviceConfig;
use courier_terminal::sync::background::Schedule;
use courier_terminal::terminal::DataDir;
use sync_support::{Server, data_dir, enroll};

/// How many descriptors of this process are open on `file`.
fn open_on(file: &Path) -> usize {
    let file = file.canonicalize().expect("database path");
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| *target == file)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_with_background_sync_opens_the_database_once_per_writing_thread() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    enroll(&server, &data).await;
    let database = DataDir(data.clone()).database();
    assert_eq!(open_on(&database), 0, "nothing open before the start");

    let (device, opened) = tokio::task::spawn_blocking(move || {
        let mut config = DeviceConfig::new(&data);
        config.background_sync = Some(Schedule::default());
        let device = config.assemble().expect("assembled");
        let opened = open_on(&DataDir(data).database());
        (device, opened)
    })
    .await
    .expect("assembly thread");
    assert_eq!(
        opened, 2,
        "one connection for the screens' terminal, one for the sync thread \
         (its engine, which also loads downloaded manifests)"
    );
    tokio::task::spawn_blocking(move || drop(device))
        .await
        .expect("stop");
}
