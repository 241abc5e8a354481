//! What the page reads from the Go package heapwisehttp (`go/heapwisehttp`) when it serves
//! the page from inside a running service: its `heapwise.json` and the headers of its
//! snapshot answer. The downloads themselves are in `app::service`.

use serde::Deserialize;

/// `heapwise.json`, as `heapwisehttp.Info` writes it (the fields the page uses).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ServiceInfo {
    pub handler: String,
    pub version: u32,
    pub go_version: String,
    pub pid: u64,
    pub executable: String,
    pub snapshot: String,
    pub exe: String,
    /// Bytes of the heap's allocated objects when the page loaded: a snapshot is larger.
    pub heap_object_bytes: u64,
}

/// Served by heapwisehttp; a static copy of `web/heapwise.json` (handler `static`) is in
/// `dist/` so that a static server answers it too (a 404 would be a console error).
pub const INFO_URL: &str = "./heapwise.json";
/// heapwisehttp's header with the snapshot's uncompressed size (Content-Length is the
/// compressed one, when there is one).
pub const SNAPSHOT_BYTES_HEADER: &str = "x-heapwise-snapshot-bytes";

impl ServiceInfo {
    /// Whether this is a `heapwise.json` the page understands.
    pub fn supported(&self) -> bool {
        self.handler == "heapwisehttp" && self.version == 1
    }
}

/// The `dur` of the `dump` entry of a `Server-Timing` header.
pub fn dump_duration(server_timing: &str) -> Option<f64> {
    server_timing.split(',').find_map(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        if parts.next()? != "dump" {
            return None;
        }
        parts.find_map(|p| p.strip_prefix("dur=")?.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::{dump_duration, ServiceInfo};

    #[test]
    fn server_timing_dump_duration() {
        assert_eq!(dump_duration(r#"dump;dur=12.5;desc="WriteHeapDump, world stopped""#), Some(12.5));
        assert_eq!(dump_duration("db;dur=3, dump;desc=x;dur=7"), Some(7.0));
        assert_eq!(dump_duration("db;dur=3"), None);
        assert_eq!(dump_duration(""), None);
    }

    #[test]
    fn info_as_heapwisehttp_writes_it() {
        // The JSON of heapwisehttp.Info (go/heapwisehttp), extra fields and all.
        let json = r#"{"handler":"heapwisehttp","version":1,"go_version":"go1.26.6","goos":"linux","goarch":"amd64","pid":1251,"executable":"svc","snapshot":"snapshot","exe":"exe","heap_object_bytes":205600,"max_snapshot_bytes":0}"#;
        let info: ServiceInfo = serde_json::from_str(json).unwrap();
        assert!(info.supported());
        assert_eq!((info.pid, info.executable.as_str(), info.heap_object_bytes), (1251, "svc", 205600));
        let other: ServiceInfo = serde_json::from_str(&json.replace(r#""version":1"#, r#""version":2"#)).unwrap();
        assert!(!other.supported());
    }

    #[test]
    fn the_static_copy_is_no_service() {
        let json = include_str!("../heapwise.json");
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["handler"], "static");
        assert!(serde_json::from_str::<ServiceInfo>(json).map_or(true, |i| !i.supported()));
    }
}
