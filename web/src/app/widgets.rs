//! Small pieces several views show: addresses, byte counts, root paths.

use heapwise_core::report::{RootInfo, RootPath};
use yew::prelude::*;

use super::route::Route;

/// Rows shown at most in long tables.
pub const MAX_ROWS: usize = 2000;
/// Hops a path shows at most (its two ends).
const MAX_PATH_HOPS: usize = 40;

pub fn loading(what: &str) -> Html {
    html! { <p class="loading">{format!("Loading {what}…")}</p> }
}

/// An address, linked to its object page.
pub fn addr_link(a: u64) -> Html {
    html! { <a class="addr" href={Route::Object(a).href()}>{format!("{a:#x}")}</a> }
}

pub fn root_html(r: &RootInfo) -> Html {
    html! { <li class="root"><span class={classes!("kind", r.kind.clone())}>{r.kind.clone()}</span>{" "}<code>{r.name.clone()}</code></li> }
}

/// A root path as a numbered list. `id`: the element id (`""` for none: several paths on one
/// page). `total`: the path's length in hops, when `p` holds only its first and last halves.
pub fn path_view(target: u64, p: Option<&RootPath>, id: &str, total: usize) -> Html {
    let id = (!id.is_empty()).then(|| id.to_string());
    let Some(p) = p else {
        return html! { <p class="empty" {id}>{format!("No path from a root reaches {target:#x}: it is garbage (unreachable).")}</p> };
    };
    // A long chain (a linked list) shows its two ends: hops [0, head) and [tail, n), with
    // `skipped` more between them (those the worker left out, and those not shown here).
    let n = p.hops.len();
    let left_out = total.saturating_sub(n);
    let (head, tail) = if left_out > 0 {
        (n / 2, n / 2)
    } else if n > MAX_PATH_HOPS {
        (MAX_PATH_HOPS / 2, n - MAX_PATH_HOPS / 2)
    } else {
        (n, n)
    };
    let skipped = left_out + (tail - head);
    html! {
        <ol class="path" {id}>
            { root_html(&p.root) }
            { for p.hops.iter().enumerate().filter(|(i, _)| *i < head || *i >= tail).map(|(i, h)| html! {
                <>
                if i == tail && skipped > 0 {
                    <li class="more">{format!("… {skipped} more hops …")}</li>
                }
                <li value={(if i >= tail { i + left_out } else { i } + 2).to_string()}>
                    {if h.field.is_empty() { html!{} } else { html! { <code class="field">{format!(".{} → ", h.field)}</code> } }}
                    {addr_link(h.addr)}{" "}<span class="type">{h.type_name.clone()}</span></li>
                </>
            }) }
        </ol>
    }
}

pub fn fmt_ms(ms: f64) -> String {
    if ms < 1000.0 { format!("{ms:.0} ms") } else { format!("{:.1} s", ms / 1000.0) }
}

pub fn fmt_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `part` as a percentage of `whole`, one decimal.
pub fn percent(part: u64, whole: u64) -> String {
    format!("{:.1}%", part as f64 * 100.0 / whole.max(1) as f64)
}
