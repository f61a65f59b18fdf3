//! Background I/O jobs (~ Redis's `bio.c`): the slow system calls that
//! need no answer, done on a thread of their own so the event loop never
//! waits for the disk.
//!
//! Closing the last descriptor of a big file that was unlinked frees all its
//! blocks, which can take tens of milliseconds; an `fsync` of a file the
//! loop no longer writes can take longer. Neither touches the keyspace or a
//! socket, so they are handed to one background thread through a channel,
//! in order, like Redis's `BIO_CLOSE_FILE` and `BIO_CLOSE_AOF` jobs. The
//! thread starts with the first job and lives as long as the process. (A
//! forked child never has it: threads do not survive fork, and a child
//! never submits jobs.)

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

/// One job.
enum Job {
    /// Close the file (the last reference to an unlinked file frees it).
    Close(std::fs::File),
    /// fsync the file, then close it (`aof_background_fsync_and_close`).
    FsyncAndClose(std::fs::File),
}

fn queue() -> &'static Mutex<Sender<Job>> {
    static QUEUE: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("bio_close_file".into())
            .spawn(move || {
                for job in rx {
                    match job {
                        Job::Close(f) => drop(f),
                        Job::FsyncAndClose(f) => {
                            let _ = f.sync_data();
                            drop(f);
                        }
                    }
                }
            })
            .expect("start the background I/O thread");
        Mutex::new(tx)
    })
}

fn submit(job: Job) {
    // A poisoned lock or a dead thread: do the job here rather than lose it.
    let job = match queue().lock() {
        Ok(tx) => match tx.send(job) {
            Ok(()) => return,
            Err(e) => e.0,
        },
        Err(_) => job,
    };
    match job {
        Job::Close(f) => drop(f),
        Job::FsyncAndClose(f) => {
            let _ = f.sync_data();
        }
    }
}

/// Remove `path` without waiting for its blocks to be freed (`bg_unlink`):
/// the name goes now, the file's last descriptor is closed in the
/// background. Errors are ignored, as Redis's are.
pub fn unlink(path: &std::path::Path) {
    match std::fs::File::open(path) {
        Ok(f) => {
            let _ = std::fs::remove_file(path);
            submit(Job::Close(f));
        }
        Err(_) => {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// fsync and close a file the loop no longer writes, in the background.
pub fn fsync_and_close(file: std::fs::File) {
    submit(Job::FsyncAndClose(file));
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    #[test]
    fn unlink_removes_the_name_at_once_and_fsync_close_keeps_data() {
        let dir = std::env::temp_dir().join(format!("ferrodis-bio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, vec![7u8; 1 << 20]).unwrap();
        super::unlink(&big);
        assert!(!big.exists());
        // A missing file is no error.
        super::unlink(&big);
        let kept = dir.join("kept");
        let mut f = std::fs::File::create(&kept).unwrap();
        f.write_all(b"written before the close").unwrap();
        super::fsync_and_close(f);
        // Jobs run in order: a later close means the fsync is done.
        let marker = std::fs::File::open(&kept).unwrap();
        super::submit(super::Job::Close(marker));
        assert_eq!(std::fs::read(&kept).unwrap(), b"written before the close");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
