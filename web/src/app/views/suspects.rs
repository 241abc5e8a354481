//! `#/suspects`: objects and types that retain a large share of the live heap, each with
//! its accumulation point and a path from a root.

use heapwise_core::report::Suspect;
use yew::prelude::*;

use crate::app::cache::use_answer;
use crate::app::widgets::{addr_link, fmt_bytes, loading, path_view};
use crate::protocol::{Answer, Query, SUSPECT_THRESHOLD};

#[function_component]
pub fn SuspectsView() -> Html {
    let suspects = use_answer(Query::Suspects);
    let overview = use_answer(Query::Overview);
    let Some(Answer::Suspects(suspects)) = suspects.answer() else {
        return loading("the leak suspects (dominator tree)");
    };
    let live = match overview.answer() {
        Some(Answer::Overview(o)) => o.live_bytes,
        _ => 0,
    };
    html! {
        <section id="suspects">
            <h2>{"Leak suspects"}</h2>
            <p class="summary">{format!(
                "Objects and types that retain at least {:.0}% of the live heap ({}). The accumulation point is where the retained memory fans out into many objects: usually the collection that keeps growing.",
                SUSPECT_THRESHOLD * 100.0, fmt_bytes(live))}</p>
            if suspects.is_empty() {
                <p class="empty" id="no-suspects">{"No single object or type retains that much: nothing stands out."}</p>
            }
            { for suspects.iter().enumerate().map(|(i, s)| suspect(i, s)) }
        </section>
    }
}

fn suspect(i: usize, s: &Suspect) -> Html {
    let title = if s.kind == "type" {
        format!("Suspect {}: {} instances of {}", i + 1, s.instances, s.name)
    } else {
        format!("Suspect {}: one {}", i + 1, s.name)
    };
    html! {
        <article class="suspect" data-kind={s.kind.clone()}>
            <h3>{title}</h3>
            <p class="big"><span class="retained" data-bytes={s.retained.to_string()}>{format!("retains {}", fmt_bytes(s.retained))}</span>
                {format!(" — {:.1}% of the live heap", s.percent)}</p>
            <dl class="facts">
                <dt>{if s.kind == "type" { "Largest instance" } else { "Object" }}</dt>
                <dd>{addr_link(s.addr)}{" "}<span class="type">{s.name.clone()}</span></dd>
                <dt>{"Accumulation point"}</dt>
                <dd class="accumulation">{ match &s.accumulation {
                    Some(a) => html! { <>{addr_link(a.addr)}{" "}<span class="type">{a.type_name.clone()}</span>
                        {format!(" retains {} in {} directly dominated objects", fmt_bytes(a.retained), s.accumulation_children)}</> },
                    None => html! { <span class="empty">{"none: the instances hang directly off different roots"}</span> },
                } }</dd>
            </dl>
            <h4>{"Path from a root"}</h4>
            { match &s.path {
                Some(p) => path_view(s.addr, Some(p), "", p.hops.len()),
                None => html! { <p class="empty">{"No path recorded."}</p> },
            } }
        </article>
    }
}
