//! `#/path/0x…`: why an object is alive, as one path from a root.

use yew::prelude::*;

use crate::app::cache::use_answer;
use crate::app::widgets::{addr_link, loading, path_view};
use crate::protocol::{Answer, Query};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub addr: u64,
}

#[function_component]
pub fn PathView(props: &Props) -> Html {
    let a = props.addr;
    let path = use_answer(Query::Path { addr: a });
    html! {
        <section id="path-page">
            <h2>{"Why is "}{addr_link(a)}{" alive?"}</h2>
            { match path.answer() {
                Some(Answer::Path { path, hops_total }) => path_view(a, path.as_ref(), "path", *hops_total as usize),
                _ => loading("the path"),
            } }
        </section>
    }
}
