//! The player portal's files (sources in `portal/` at the workspace root),
//! embedded in the binary: no build step and no file lookups at run time,
//! and no path from a request ever reaches the file system.

/// One embedded file.
pub struct File {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// The portal's files by request path.
const FILES: [(&str, File); 4] = [
    ("/", File { content_type: "text/html; charset=utf-8", body: include_bytes!("../../../portal/index.html") }),
    (
        "/portal.js",
        File { content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../../portal/portal.js") },
    ),
    (
        "/portal.css",
        File { content_type: "text/css; charset=utf-8", body: include_bytes!("../../../portal/portal.css") },
    ),
    ("/favicon.svg", File { content_type: "image/svg+xml", body: include_bytes!("../../../portal/favicon.svg") }),
];

/// The file served at `path`, if any (`/index.html` is `/`).
pub fn file(path: &str) -> Option<&'static File> {
    let path = if path == "/index.html" { "/" } else { path };
    FILES.iter().find(|(p, _)| *p == path).map(|(_, f)| f)
}
