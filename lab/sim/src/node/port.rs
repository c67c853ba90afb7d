//! A listening port that can be closed again (`offline`), dropping its clients.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub type Handler = Arc<dyn Fn(TcpStream, u32) + Send + Sync>;

static NEXT_CONNECTION: AtomicU32 = AtomicU32::new(1);

pub struct Port {
    pub number: u16,
    stop: Arc<AtomicBool>,
    clients: Arc<Mutex<HashMap<u32, TcpStream>>>,
    thread: Option<JoinHandle<()>>,
}

impl Port {
    /// Listens on `0.0.0.0:<number>`, one thread per client.
    pub fn open(number: u16, handler: Handler) -> io::Result<Port> {
        let listener = TcpListener::bind(("0.0.0.0", number))?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Arc<Mutex<HashMap<u32, TcpStream>>> = Arc::default();
        let (stop2, clients2) = (stop.clone(), clients.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let id = NEXT_CONNECTION.fetch_add(1, Ordering::SeqCst);
                        if let (Ok(copy), Ok(mut map)) = (stream.try_clone(), clients2.lock()) {
                            map.insert(id, copy);
                        }
                        let (handler, clients) = (handler.clone(), clients2.clone());
                        std::thread::spawn(move || {
                            handler(stream, id);
                            if let Ok(mut map) = clients.lock() {
                                map.remove(&id);
                            }
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(20))
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(Port {
            number,
            stop,
            clients,
            thread: Some(thread),
        })
    }

    /// Stops listening and disconnects every client.
    pub fn close(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Ok(mut map) = self.clients.lock() {
            for (_, s) in map.drain() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}
