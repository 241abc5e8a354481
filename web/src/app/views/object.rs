//! `#/object/0x…`: one object: its facts, why it is alive (root path, dominators, owners
//! graph), what would be freed without it, its fields, pointers and bytes.

use std::collections::BTreeSet;

use heapwise_core::report::{DominatorRef, FieldValue, ObjectDetail, PointerRef, WhatIf};
use yew::prelude::*;

use crate::app::cache::{use_answer, use_answer_when, Entry};
use crate::app::route::Route;
use crate::app::widgets::{addr_link, fmt_bytes, loading, path_view, root_html, MAX_ROWS};
use crate::protocol::{Answer, Query, MAX_CHAIN_SENT};

/// Bytes shown at most in a hex dump.
const MAX_HEX: usize = 4096;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub addr: u64,
}

#[function_component]
pub fn ObjectView(props: &Props) -> Html {
    let a = props.addr;
    let object = use_answer(Query::Object { addr: a });
    let path = use_answer(Query::Path { addr: a });
    // The what-if shown: `None` before any is asked; `Some(None)`: the whole object;
    // `Some(Some(field))`: that pointer field set to nil.
    let whatif_shown = use_state(|| None::<Option<String>>);
    let whatif = use_answer_when(
        whatif_shown.is_some(),
        Query::WhatIf { addr: a, field: (*whatif_shown).clone().flatten() },
    );
    let graph_wanted = use_state(|| false);
    let graph = use_answer_when(*graph_wanted, Query::OwnersGraph { addr: a });

    let Some(Answer::Object { detail, dominators_total }) = object.answer() else {
        return loading(&format!("object {a:#x}"));
    };
    let Some(d) = detail else {
        return html! { <section id="object"><h2>{format!("{a:#x}")}</h2>
            <p class="empty">{format!("There is no heap object at {a:#x}.")}</p></section> };
    };
    let ask_whatif = {
        let shown = whatif_shown.clone();
        Callback::from(move |field: Option<String>| shown.set(Some(field)))
    };
    let active_field = match &*whatif_shown {
        Some(Some(f)) => Some(f.as_str()),
        _ => None,
    };
    html! {
        <section id="object">
            <h2><span class="addr">{format!("{:#x}", d.addr)}</span>{" "}
                <a class="type" href={Route::Objects(d.type_name.clone()).href()}>{d.type_name.clone()}</a></h2>
            { facts(d) }
            <h3>{"Path from a root"}</h3>
            { match path.answer() {
                Some(Answer::Path { path, hops_total }) => path_view(a, path.as_ref(), "path", *hops_total as usize),
                _ => loading("the path"),
            } }
            if d.live {
                <h3>{format!("Dominated by ({dominators_total})")}</h3>
                { dominator_chain(&d.dominators, *dominators_total as usize) }
                <h3>{"What if…"}</h3>
                { whatif_panel(d, &whatif_shown, &whatif, &ask_whatif) }
            }
            <h3>{"Owners graph"}</h3>
            { owners_panel(&graph, &graph_wanted) }
            if !d.root_refs.is_empty() {
                <h3>{"Referenced directly by roots"}</h3>
                <ul>{ for d.root_refs.iter().map(root_html) }</ul>
            }
            <h3>{"Fields"}</h3>
            if d.fields.is_empty() { <p class="empty">{"No typed fields (type unknown or no fields)."}</p> }
            else { <ul class="fields">{ for d.fields.iter().map(field_html) }</ul> }
            <h3>{format!("Points to ({})", d.outbound.len())}</h3>
            { refs_table(&d.outbound, "outbound", d.live.then_some(&ask_whatif), active_field) }
            <h3>{format!("Pointed to by ({})", d.inbound.len())}</h3>
            { refs_table(&d.inbound, "inbound", None, None) }
            <h3>{"Contents"}</h3>
            { hex_dump(d) }
        </section>
    }
}

fn facts(d: &ObjectDetail) -> Html {
    html! {
        <dl class="facts">
            <dt>{"Size"}</dt><dd>{format!("{} bytes (size class {})", d.size, d.size_class)}</dd>
            <dt>{"State"}</dt><dd>{if d.live { "live (reachable)" } else { "garbage (unreachable, not yet freed)" }}</dd>
            <dt>{"Retained"}</dt>
            <dd id="retained" data-bytes={d.retained.to_string()}>
                {format!("{} bytes", d.retained)}
                if d.retained >= 1024 { {format!(" ({})", fmt_bytes(d.retained))} }
                <span class="legend">{" freed if this object became unreachable"}</span></dd>
            <dt>{"Requested"}</dt><dd id="requested" data-bytes={d.requested.to_string()}>{format!("{} bytes", d.requested)}</dd>
            <dt>{"Rounding waste"}</dt><dd id="rounding-waste" data-bytes={d.rounding_waste.to_string()}>
                {format!("{} bytes", d.rounding_waste)}<span class="legend">{" slot size minus requested size"}</span></dd>
            <dt>{"Padding"}</dt><dd id="padding" data-bytes={d.padding.to_string()}>
                {format!("{} bytes", d.padding)}<span class="legend">{" holes between struct fields"}</span></dd>
        </dl>
    }
}

/// Referrers up to the roots as the CLI's `graph` command draws them (finalizer objects
/// highlighted, root-less cycles pruned); the engine's SVG uses presentation attributes
/// only, so the page's CSP allows it inline.
fn owners_panel(graph: &Entry, wanted: &UseStateHandle<bool>) -> Html {
    match graph {
        Entry::Done(answer) => match &**answer {
            Answer::OwnersGraph(svg) => html! {
                <div class="owners-graph" id="owners-graph">{ Html::from_html_unchecked(AttrValue::from(svg.clone())) }</div>
            },
            _ => html! {},
        },
        Entry::Pending => html! { <p class="loading" id="owners-pending">{"Drawing the owners graph…"}</p> },
        Entry::Failed => html! { <p class="bad" id="owners-graph">{"The owners graph failed (see the error above)."}</p> },
        Entry::Missing => {
            let wanted = wanted.clone();
            let onclick = Callback::from(move |_| wanted.set(true));
            html! { <button id="owners-graph-button" {onclick}>{"Show who keeps this object alive (graph)"}</button> }
        }
    }
}

fn whatif_panel(d: &ObjectDetail, shown: &Option<Option<String>>, answer: &Entry, ask: &Callback<Option<String>>) -> Html {
    let a = d.addr;
    let result = match shown {
        None => html! {},
        Some(field) => {
            let what = match field {
                None => format!("If {a:#x} were unreachable"),
                Some(f) => format!("If its field .{f} were nil"),
            };
            match answer {
                Entry::Done(answer) => match &**answer {
                    Answer::WhatIf(w) => whatif_result(&what, w),
                    _ => html! {},
                },
                Entry::Failed => {
                    html! { <p class="bad" id="whatif-result">{format!("{what}: the question failed (see the error above).")}</p> }
                }
                Entry::Pending | Entry::Missing => html! { <p class="loading" id="whatif-pending">{format!("{what}: computing…")}</p> },
            }
        }
    };
    let whole_object_shown = matches!(shown, Some(None));
    html! {
        <div class="whatif">
            <button id="whatif" class={classes!(whole_object_shown.then_some("active"))} onclick={ask.reform(|_| None)}>
                {"What if this object were unreachable?"}</button>
            if !d.outbound.is_empty() { <span class="legend">{" Or set one of its pointers to nil with “what if nil?” under “Points to”."}</span> }
            {result}
        </div>
    }
}

fn whatif_result(what: &str, w: &WhatIf) -> Html {
    const TOP: usize = 10;
    html! {
        <div class="whatif-result" id="whatif-result" data-field={w.field.clone()}>
            <p>{format!("{what}, ")}<strong id="whatif-objects">{format!("{} objects", w.freed_objects)}</strong>{" and "}
                <strong id="whatif-bytes" data-bytes={w.freed_bytes.to_string()}>{format!("{} bytes", w.freed_bytes)}</strong>
                {if w.freed_bytes >= 1024 { format!(" ({})", fmt_bytes(w.freed_bytes)) } else { String::new() }}
                {" would become garbage."}</p>
            if !w.freed_types.is_empty() {
                <table class="grid compact" id="whatif-types">
                    <thead><tr><th>{"Freed type"}</th><th class="num">{"Objects"}</th><th class="num">{"Bytes"}</th></tr></thead>
                    <tbody>
                    { for w.freed_types.iter().take(TOP).map(|r| html! {
                        <tr><td class="type"><a href={Route::Objects(r.type_name.clone()).href()}>{r.type_name.clone()}</a></td>
                            <td class="num">{r.count}</td>
                            <td class="num" title={format!("{} bytes", r.bytes)}>{fmt_bytes(r.bytes)}</td></tr>
                    }) }
                    </tbody>
                </table>
                if w.freed_types.len() > TOP { <p class="more">{format!("and {} more types.", w.freed_types.len() - TOP)}</p> }
            }
        </div>
    }
}

fn field_html(f: &FieldValue) -> Html {
    html! {
        <li>
            <code class="name">{f.name.clone()}</code>{" "}
            <span class="type">{f.type_name.clone()}</span>
            <span class="off">{format!(" +{:#x}", f.offset)}</span>
            {" = "}
            { match f.points_to {
                Some(t) => html! { <a class="addr" href={Route::Object(t).href()}>{f.value.clone()}</a> },
                None => html! { <code class="value">{f.value.clone()}</code> },
            } }
            if !f.children.is_empty() { <ul>{ for f.children.iter().map(field_html) }</ul> }
        </li>
    }
}

/// `whatif`: offers "what if nil?" per pointer field (outbound pointers of a live object);
/// `active`: the field whose what-if is shown.
fn refs_table(refs: &[PointerRef], id: &str, whatif: Option<&Callback<Option<String>>>, active: Option<&str>) -> Html {
    if refs.is_empty() {
        return html! { <p class="empty">{"None."}</p> };
    }
    html! {
        <table class="grid" id={id.to_string()}>
            <thead><tr><th>{"Object"}</th><th>{"Type"}</th><th>{"Field"}</th><th class="num">{"Offset"}</th>
                if whatif.is_some() { <th></th> }</tr></thead>
            <tbody>
            { for refs.iter().take(MAX_ROWS).map(|r| html! {
                <tr data-field={r.field.clone()}>
                    <td>{addr_link(r.addr)}{ if r.target_offset != 0 { format!(" +{:#x}", r.target_offset) } else { String::new() } }</td>
                    <td>{r.type_name.clone()}</td>
                    <td><code>{r.field.clone()}</code></td>
                    <td class="num">{format!("{:#x}", r.offset)}</td>
                    if let Some(ask) = whatif {
                        <td><button class={classes!("whatif-field", "small", (active == Some(r.field.as_str())).then_some("active"))}
                            data-field={r.field.clone()}
                            title={format!("What would be freed if .{} were set to nil?", r.field)}
                            onclick={ let f = r.field.clone(); ask.reform(move |_| Some(f.clone())) }>
                            {"what if nil?"}</button></td>
                    }
                </tr>
            }) }
            </tbody>
        </table>
    }
}

/// `chain`: the first links and the last one of a chain `total` long.
fn dominator_chain(chain: &[DominatorRef], total: usize) -> Html {
    if chain.is_empty() {
        return html! { <p class="empty" id="domchain">{"Only the roots: no single object keeps this one alive."}</p> };
    }
    let item_inner = |r: &DominatorRef| html! {
        <>{addr_link(r.addr)}{" "}<span class="type">{r.type_name.clone()}</span>
            <span class="legend" title={format!("{} bytes", r.retained)}>{format!(" retains {}", fmt_bytes(r.retained))}</span></>
    };
    let total = total.max(chain.len());
    let hidden = total.saturating_sub(MAX_CHAIN_SENT);
    let head = if hidden > 0 { MAX_CHAIN_SENT - 1 } else { chain.len() };
    html! {
        <>
        <p class="legend">{"Every path from a root to this object goes through each of these objects (nearest first)."}</p>
        <ol class="domchain" id="domchain">
            { for chain.iter().take(head).map(|r| html! { <li>{ item_inner(r) }</li> }) }
            if hidden > 0 {
                <li class="more">{format!("… {hidden} more …")}</li>
                if let Some(last) = chain.last() { <li value={total.to_string()}>{ item_inner(last) }</li> }
            }
        </ol>
        </>
    }
}

fn hex_dump(d: &ObjectDetail) -> Html {
    let ptrs: BTreeSet<u64> = d.pointer_offsets.iter().copied().collect();
    let shown = d.bytes.len().min(MAX_HEX);
    let rows = d.bytes[..shown].chunks(16).enumerate().map(|(i, row)| {
        let base = i * 16;
        let words = row.chunks(8).enumerate().map(|(j, w)| {
            let off = (base + j * 8) as u64;
            let hex: String = w.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
            let word: Option<[u8; 8]> = w.try_into().ok();
            match word.filter(|_| ptrs.contains(&off)).map(u64::from_le_bytes) {
                Some(0) => html! { <span class="ptr nil" title={format!("pointer word at +{off:#x}: nil")}>{hex}</span> },
                Some(v) => {
                    html! { <a class="ptr" href={Route::Object(v).href()} title={format!("pointer word at +{off:#x}: {v:#x}")}>{hex}</a> }
                }
                None => html! { <span class="word">{hex}</span> },
            }
        });
        let ascii: String = row.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        html! {
            <div class="hexrow"><span class="hoff">{format!("{base:06x}")}</span>
                { for words.map(|w| html! { <>{" "}{w}</> }) }
                <span class="ascii">{format!("  {ascii}")}</span></div>
        }
    });
    html! {
        <div class="hex" id="hex">
            { for rows }
            if d.bytes.len() > shown { <p class="more">{format!("{} more bytes not shown.", d.bytes.len() - shown)}</p> }
            if (d.bytes.len() as u64) < d.size { <p class="more">{format!("The engine sent the first {} of {} bytes.", d.bytes.len(), d.size)}</p> }
            <p class="legend"><span class="ptr">{"underlined"}</span>{" words are pointers according to the GC's pointer bitmap."}</p>
        </div>
    }
}
