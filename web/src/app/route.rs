//! The hash routes: `#/overview`, `#/histogram`, `#/objects/<type>`, `#/object/0x…`,
//! `#/path/0x…`, `#/dominators`, `#/suspects`, `#/goroutines` (groups), `#/goroutines/each`.

#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Home,
    Overview,
    Histogram,
    /// Instances of one type.
    Objects(String),
    Object(u64),
    Path(u64),
    /// Goroutine groups.
    Goroutines,
    /// Every goroutine, one by one.
    GoroutineList,
    Dominators,
    Suspects,
    Unknown(String),
}

/// `0x…` or plain hex.
pub fn parse_addr(s: &str) -> Option<u64> {
    let s = s.trim();
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    u64::from_str_radix(hex, 16).ok()
}

fn decode(s: &str) -> String {
    js_sys::decode_uri_component(s).map(String::from).unwrap_or_else(|_| s.to_string())
}

fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let h = hash.trim_start_matches('#').trim_start_matches('/');
        let (head, rest) = h.split_once('/').unwrap_or((h, ""));
        let addr = |r: &str, f: fn(u64) -> Route| parse_addr(r).map(f).unwrap_or(Route::Unknown(h.to_string()));
        match head {
            "" => Route::Home,
            "overview" => Route::Overview,
            "histogram" => Route::Histogram,
            "goroutines" if rest == "each" => Route::GoroutineList,
            "goroutines" if rest.is_empty() => Route::Goroutines,
            "dominators" => Route::Dominators,
            "suspects" => Route::Suspects,
            "objects" if !rest.is_empty() => Route::Objects(decode(rest)),
            "object" => addr(rest, Route::Object),
            "path" => addr(rest, Route::Path),
            _ => Route::Unknown(h.to_string()),
        }
    }

    pub fn href(&self) -> String {
        match self {
            Route::Home => "#/".into(),
            Route::Overview => "#/overview".into(),
            Route::Histogram => "#/histogram".into(),
            Route::Goroutines => "#/goroutines".into(),
            Route::GoroutineList => "#/goroutines/each".into(),
            Route::Dominators => "#/dominators".into(),
            Route::Suspects => "#/suspects".into(),
            Route::Objects(t) => format!("#/objects/{}", encode(t)),
            Route::Object(a) => format!("#/object/{a:#x}"),
            Route::Path(a) => format!("#/path/{a:#x}"),
            Route::Unknown(s) => format!("#/{s}"),
        }
    }

    /// The route of the page's current URL.
    pub fn current() -> Route {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        Route::parse(&hash)
    }

    /// Goes there (a new history entry, so Back returns).
    pub fn navigate(&self) {
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(&self.href());
        }
    }
}

/// `^type$` with regex metacharacters escaped: the instances of exactly one type.
pub fn exact_type_regex(t: &str) -> String {
    let mut out = String::from("^");
    for c in t.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}
