//! A file read on a second thread, a chunk ahead of the parser.
//!
//! Reading a file costs the kernel copying each page out of its cache: at a
//! million assets that is half a gigabyte, a few tenths of a second that the
//! parser would otherwise wait for. Here a thread reads the next chunks while
//! the parser works on the one before, so the two overlap on two cores. What
//! is read is exactly the file's bytes, in order; the thread holds at most
//! `DEPTH` chunks, so memory stays bounded whatever the file's size.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

/// Bytes the thread reads at a time.
const CHUNK: usize = 1024 * 1024;

/// Chunks read and not yet parsed, at most.
const DEPTH: usize = 3;

/// A `Read` over `source` whose reads come from the thread.
pub(crate) struct ReadAhead<R> {
    /// Filled chunks in file order; an empty chunk is the end, an error stops.
    filled: Option<Receiver<io::Result<Vec<u8>>>>,
    /// Chunks handed back to be filled again, so the thread allocates only
    /// `DEPTH + 2` of them.
    spare: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    ended: bool,
    /// The thread hands the source back when it ends.
    thread: Option<JoinHandle<R>>,
}

impl<R: Read + Send + 'static> ReadAhead<R> {
    pub(crate) fn new(mut source: R) -> io::Result<Self> {
        let (filled_tx, filled_rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
        let thread = std::thread::Builder::new().name("scenario-read".into()).spawn(move || {
            loop {
                let mut chunk = match spare_rx.try_recv() {
                    Ok(chunk) => chunk,
                    Err(TryRecvError::Empty) => Vec::new(),
                    Err(TryRecvError::Disconnected) => return source,
                };
                let read = fill(&mut source, &mut chunk);
                let end = matches!(read, Ok(0) | Err(_));
                // The reader is gone (the parser stopped early): so is the need.
                if filled_tx.send(read.map(|_| chunk)).is_err() || end {
                    return source;
                }
            }
        })?;
        Ok(Self {
            filled: Some(filled_rx),
            spare: spare_tx,
            current: Vec::new(),
            at: 0,
            ended: false,
            thread: Some(thread),
        })
    }
}

impl<R> ReadAhead<R> {
    /// The source back, once the thread has stopped reading it (where it
    /// stopped: at its end if everything was read). `None` if the thread
    /// panicked.
    pub(crate) fn into_source(mut self) -> Option<R> {
        self.stop()
    }

    fn stop(&mut self) -> Option<R> {
        // Dropping the receiver ends the thread's next send; then it returns.
        self.filled = None;
        self.thread.take().and_then(|thread| thread.join().ok())
    }
}

/// Fills `chunk` with up to `CHUNK` bytes of `source`; fewer only at its end.
fn fill(source: &mut impl Read, chunk: &mut Vec<u8>) -> io::Result<usize> {
    chunk.resize(CHUNK, 0);
    let mut len = 0;
    while len < CHUNK {
        match source.read(&mut chunk[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    chunk.truncate(len);
    Ok(len)
}

impl<R> Read for ReadAhead<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.ended {
                return Ok(0);
            }
            let next = self.filled.as_ref().and_then(|filled| filled.recv().ok());
            match next {
                Some(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    self.at = 0;
                    // The thread may have stopped: then the chunk is dropped.
                    let _ = self.spare.try_send(used);
                    self.ended = self.current.is_empty();
                }
                Some(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                // The thread ended without an end marker: it panicked.
                None => {
                    self.ended = true;
                    return Err(io::Error::other("the thread reading the file stopped"));
                }
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl<R> Drop for ReadAhead<R> {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out its bytes a few at a time, then maybe fails.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        fail_at_end: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.bytes.len() {
                return if self.fail_at_end { Err(io::Error::other("disk on fire")) } else { Ok(0) };
            }
            let n = out.len().min(7).min(self.bytes.len() - self.at);
            out[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn reads_exactly_the_sources_bytes_in_order() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let original = bytes(len);
            let mut read = Vec::new();
            ReadAhead::new(Trickle { bytes: original.clone(), at: 0, fail_at_end: false })
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert!(read == original, "{len} bytes");
        }
    }

    #[test]
    fn an_error_reaches_the_reader_after_the_bytes_before_it() {
        let original = bytes(CHUNK + 5);
        let mut ahead = ReadAhead::new(Trickle { bytes: original.clone(), at: 0, fail_at_end: true }).unwrap();
        let mut read = vec![0; CHUNK];
        ahead.read_exact(&mut read).unwrap();
        assert!(read == original[..CHUNK]);
        // The last chunk failed as a whole: its 5 bytes are lost with it.
        let error = ahead.read(&mut read).unwrap_err();
        assert_eq!(error.to_string(), "disk on fire");
        assert_eq!(ahead.read(&mut read).unwrap(), 0);
    }

    #[test]
    fn dropping_it_early_ends_the_thread() {
        let mut ahead = ReadAhead::new(std::io::repeat(7)).unwrap();
        let mut some = [0; 10];
        ahead.read_exact(&mut some).unwrap();
        assert_eq!(some, [7; 10]);
        // Drop joins the thread; the test would hang if it did not end.
        drop(ahead);
    }

    #[test]
    fn the_source_comes_back_where_the_thread_stopped() {
        let original = bytes(2 * CHUNK + 3);
        let mut ahead = ReadAhead::new(std::io::Cursor::new(original.clone())).unwrap();
        let mut read = Vec::new();
        ahead.read_to_end(&mut read).unwrap();
        assert!(read == original);
        let source = ahead.into_source().expect("the thread ended normally");
        assert_eq!(source.position(), original.len() as u64);
    }
}
