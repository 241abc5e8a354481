//! `#/objects/<type>`: the live instances of one type.

use yew::prelude::*;

use crate::app::cache::use_answer;
use crate::app::route::exact_type_regex;
use crate::app::widgets::{addr_link, fmt_bytes, loading, MAX_ROWS};
use crate::protocol::{Answer, Query};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub type_name: AttrValue,
}

#[function_component]
pub fn ObjectsView(props: &Props) -> Html {
    let t = props.type_name.as_str();
    let objects = use_answer(Query::Objects { type_regex: Some(exact_type_regex(t)) });
    let Some(Answer::Objects { rows, total, total_bytes }) = objects.answer() else {
        return loading(&format!("the objects of type {t}"));
    };
    let shown = MAX_ROWS.min(rows.len());
    html! {
        <section id="objects">
            <h2>{t.to_string()}</h2>
            <p class="summary">{format!("{total} live objects, {}", fmt_bytes(*total_bytes))}</p>
            <table class="grid" id="object-list">
                <thead><tr><th>{"Address"}</th><th>{"Type"}</th><th>{"Size"}</th></tr></thead>
                <tbody>
                { for rows.iter().take(MAX_ROWS).map(|r| html! {
                    <tr class="object-row">
                        <td>{addr_link(r.addr)}</td>
                        <td>{r.type_name.clone()}</td>
                        <td class="num">{r.size}</td>
                    </tr>
                }) }
                </tbody>
            </table>
            if *total as usize > shown {
                <p class="more">{format!("Showing the first {shown} of {total}.")}</p>
            }
        </section>
    }
}
