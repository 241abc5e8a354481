//! `#/overview`: the facts of the loaded process, how much of the heap has names, and where
//! the memory goes.

use heapwise_core::report::{Breakdown, Overview};
use yew::prelude::*;

use crate::app::cache::{use_answer, use_answer_when};
use crate::app::route::Route;
use crate::app::widgets::{fmt_bytes, loading, percent};
use crate::protocol::{Answer, LeakSummary, Query};

#[function_component]
pub fn OverviewView() -> Html {
    let overview = use_answer(Query::Overview);
    let breakdown = use_answer(Query::Breakdown);
    // After the breakdown: the leak rule needs the dominator tree with goroutine nodes.
    let leaks = use_answer_when(breakdown.answer().is_some(), Query::GoroutineLeaks);
    let Some(Answer::Overview(o)) = overview.answer() else { return loading("the overview") };
    let facts = [
        ("Go version", o.go_version.clone()),
        ("Architecture", o.arch.clone()),
        ("Threads", o.threads.to_string()),
        ("Goroutines", o.goroutines.to_string()),
        ("Live objects", o.live_objects.to_string()),
        ("Live bytes", fmt_bytes(o.live_bytes)),
        ("Garbage objects", o.garbage_objects.to_string()),
        ("Garbage bytes", fmt_bytes(o.garbage_bytes)),
    ];
    html! {
        <section id="overview">
            <h2>{"Overview"}</h2>
            <dl class="facts">
                { for facts.iter().map(|(k, v)| html! { <><dt>{*k}</dt><dd>{v.clone()}</dd></> }) }
            </dl>
            { naming(o) }
            if !o.warnings.is_empty() {
                <div class="warnings"><h3>{"Warnings"}</h3>
                    <ul>{ for o.warnings.iter().map(|w| html! { <li>{w.clone()}</li> }) }</ul>
                </div>
            }
            <p class="leak-links">{"Leak hunting: "}<a href={Route::Suspects.href()}>{"leak suspects"}</a>{" · "}
                <a href={Route::Dominators.href()}>{"dominator tree"}</a>{" · "}
                <a href={Route::Histogram.href()}>{"retained size per type"}</a>{" · "}
                <a href={Route::Goroutines.href()}>{"goroutine groups"}</a></p>
            { match leaks.answer() {
                Some(Answer::GoroutineLeaks(l)) => leak_line(l),
                _ => html! { <p class="legend computing" id="leaks">{"Looking for leaked goroutines…"}</p> },
            } }
            <h3>{"Where the memory goes"}</h3>
            { match breakdown.answer() {
                Some(Answer::Breakdown(b)) => breakdown_chart(b),
                _ => loading("the breakdown"),
            } }
        </section>
    }
}

/// Leaked goroutines (Go 1.27's rule) and what they keep alive, linked to their groups.
fn leak_line(l: &LeakSummary) -> Html {
    html! {
        <p id="leaks" data-leaked={l.goroutines.to_string()} data-groups={l.groups.to_string()} data-bytes={l.retained.to_string()}>
            if l.goroutines == 0 {
                {"Leaked goroutines: none."}
            } else {
                <strong>{format!("Leaked goroutines: {} in {} groups retain {}", l.goroutines, l.groups, fmt_bytes(l.retained))}</strong>
                {format!(" ({} bytes) ", l.retained)}
                <a href={Route::Goroutines.href()}>{"see the groups"}</a>
            }
        </p>
    }
}

/// The share of live bytes whose objects have a real Go type name, the share named only by
/// layout inference (never counted as named), and why the rest has no name.
fn naming(o: &Overview) -> Html {
    let live = o.live_bytes;
    html! {
        <div class="naming" id="naming">
            <p id="named-share" data-live-bytes={live.to_string()} data-named-bytes={o.named_bytes.to_string()}
                data-inferred-bytes={o.inferred_bytes.to_string()}>
                <strong>{format!("named: {} of live bytes", percent(o.named_bytes, live))}</strong>
                {format!(" (inferred by layout: {})", percent(o.inferred_bytes, live))}
            </p>
            if !o.unnamed.is_empty() {
                <table class="grid compact" id="unnamed">
                    <thead><tr><th>{"Unnamed because"}</th><th class="num">{"Objects"}</th>
                        <th class="num">{"Bytes"}</th><th class="num">{"Share of live bytes"}</th></tr></thead>
                    <tbody>
                    { for o.unnamed.iter().map(|u| html! {
                        <tr class="unnamed-reason">
                            <td class="reason">{u.reason.clone()}</td>
                            <td class="num">{u.objects}</td>
                            <td class="num bytes" data-bytes={u.bytes.to_string()} title={format!("{} bytes", u.bytes)}>{fmt_bytes(u.bytes)}</td>
                            <td class="num">{percent(u.bytes, live)}</td>
                        </tr>
                    }) }
                    </tbody>
                </table>
            }
        </div>
    }
}

fn breakdown_chart(b: &Breakdown) -> Html {
    // Totals (`mapped/total`, ...) would dwarf the parts: they go in the caption instead.
    let (totals, parts): (Vec<_>, Vec<_>) = b.entries.iter().partition(|e| e.name.ends_with("total"));
    if parts.is_empty() {
        return html! { <p class="empty">{"No breakdown."}</p> };
    }
    let max = parts.iter().map(|e| e.bytes).max().unwrap_or(1).max(1) as f64;
    let row_h = 26.0;
    let (label_w, bar_w) = (330.0, 300.0);
    let height = row_h * parts.len() as f64;
    let caption = if totals.is_empty() {
        format!("Sum of the parts: {}", fmt_bytes(parts.iter().map(|e| e.bytes).sum()))
    } else {
        totals.iter().map(|e| format!("{}: {}", e.name, fmt_bytes(e.bytes))).collect::<Vec<_>>().join(" · ")
    };
    // SVG attributes, not style attributes: the page's CSP has no 'unsafe-inline'.
    html! {
        <figure class="breakdown">
            <svg id="breakdown" viewBox={format!("0 0 {} {height}", label_w + bar_w + 110.0)}
                 width={(label_w + bar_w + 110.0).to_string()} height={height.to_string()} role="img">
            { for parts.iter().enumerate().map(|(i, e)| {
                let y = i as f64 * row_h;
                let w = (e.bytes as f64 / max * bar_w).max(1.0);
                let cat = e.name.split('/').next().unwrap_or("").to_string();
                html! {
                    <g class={classes!("bar", cat)}>
                        <title>{format!("{}: {} bytes", e.name, e.bytes)}</title>
                        <text x="0" y={(y + 17.0).to_string()}>{e.name.clone()}</text>
                        <rect x={label_w.to_string()} y={(y + 4.0).to_string()} width={w.to_string()} height="18" rx="2"></rect>
                        <text x={(label_w + 6.0 + w).to_string()} y={(y + 17.0).to_string()} class="val">{fmt_bytes(e.bytes)}</text>
                    </g>
                }
            }) }
            </svg>
            <figcaption>{caption}</figcaption>
        </figure>
    }
}
