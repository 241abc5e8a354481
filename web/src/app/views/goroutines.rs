//! `#/goroutines`: every goroutine with its frames and the heap pointers its frames hold.

use yew::prelude::*;

use crate::app::cache::use_answer;
use crate::app::widgets::{addr_link, loading};
use crate::protocol::{Answer, Query};

#[function_component]
pub fn GoroutinesView() -> Html {
    let goroutines = use_answer(Query::Goroutines);
    let Some(Answer::Goroutines(gs)) = goroutines.answer() else { return loading("the goroutines") };
    html! {
        <section id="goroutines">
            <h2>{format!("{} goroutines", gs.len())}</h2>
            { for gs.iter().map(|g| html! {
                <details class="goroutine" open={gs.len() <= 20}>
                    <summary>
                        <strong>{format!("goroutine {}", g.id)}</strong>{" "}
                        <span class="status">{g.status.clone()}</span>
                        if !g.wait_reason.is_empty() { <span class="wait">{format!(" ({})", g.wait_reason)}</span> }
                        {format!(" — {} frames", g.frames.len())}
                    </summary>
                    <ol class="frames">
                    { for g.frames.iter().map(|f| html! {
                        <li>
                            <code class="func">{f.function.clone()}</code>
                            <span class="pos">{format!(" {}:{}", f.file, f.line)}</span>
                            if !f.locals.is_empty() {
                                <ul class="locals">
                                { for f.locals.iter().map(|l| html! {
                                    <li><code>{l.name.clone()}</code>{" → "}{addr_link(l.addr)}
                                        <span class="type">{format!(" {}", l.type_name)}</span></li>
                                }) }
                                </ul>
                            }
                        </li>
                    }) }
                    </ol>
                </details>
            }) }
        </section>
    }
}
