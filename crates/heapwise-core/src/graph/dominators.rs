//! Dominator tree of a rooted directed graph in compact arrays: the Semi-NCA algorithm
//! (Georgiadis, "Linear-Time Algorithms for Dominators and Related Problems", 2005), with
//! Lengauer–Tarjan semidominators computed by an iterative DFS and iterative path
//! compression, so graphs with chains millions of nodes long need no recursion.
//!
//! Input and output are plain arrays over node ids `0..n`; node `root` dominates all.

/// Marks "no node".
pub const NONE: u32 = u32::MAX;

/// A directed graph over node ids `0..len()`.
pub trait Successors {
    fn len(&self) -> usize;
    fn succ(&self, v: u32) -> &[u32];
}

/// A graph as compressed sparse rows: successors of `v` are
/// `edges[offsets[v]..offsets[v + 1]]`.
pub struct Csr<'a> {
    pub offsets: &'a [u32],
    pub edges: &'a [u32],
}

impl Successors for Csr<'_> {
    #[inline]
    fn succ(&self, v: u32) -> &[u32] {
        &self.edges[self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize]
    }
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }
}

/// Immediate dominators and the DFS preorder used to compute them.
pub struct DomTree {
    /// `idom[v]`: immediate dominator of node `v`; `NONE` for the root and for nodes not
    /// reachable from it.
    pub idom: Vec<u32>,
    /// Reachable nodes in DFS preorder (root first). Every node comes after its dominator,
    /// so a reverse walk of this order visits children before parents.
    pub preorder: Vec<u32>,
}

/// Computes the dominator tree of `g` from `root`.
pub fn dominators<G: Successors>(g: &G, root: u32) -> DomTree {
    let n = g.len();
    // 1. Iterative DFS: preorder number of each node, DFS-tree parent (as preorder numbers).
    let mut pre = vec![NONE; n];
    let mut order: Vec<u32> = Vec::new();
    let mut parent: Vec<u32> = Vec::new();
    let mut stack: Vec<(u32, u32)> = vec![(root, 0)];
    pre[root as usize] = 0;
    order.push(root);
    parent.push(NONE);
    while let Some(top) = stack.last_mut() {
        let (v, i) = *top;
        let succ = g.succ(v);
        if (i as usize) < succ.len() {
            top.1 += 1;
            let w = succ[i as usize];
            if pre[w as usize] == NONE {
                pre[w as usize] = order.len() as u32;
                parent.push(pre[v as usize]);
                order.push(w);
                stack.push((w, 0));
            }
        } else {
            stack.pop();
        }
    }
    let m = order.len();
    // 2. Predecessors in preorder numbering (reverse CSR over reachable nodes). The offsets
    //    array doubles as the fill cursor and is shifted back afterwards.
    let mut pred_off = vec![0u32; m + 1];
    for &v in &order {
        for &w in g.succ(v) {
            pred_off[pre[w as usize] as usize + 1] += 1;
        }
    }
    for i in 0..m {
        pred_off[i + 1] += pred_off[i];
    }
    let mut preds = vec![0u32; pred_off[m] as usize];
    for (pv, &v) in order.iter().enumerate() {
        for &w in g.succ(v) {
            let pw = pre[w as usize] as usize;
            preds[pred_off[pw] as usize] = pv as u32;
            pred_off[pw] += 1;
        }
    }
    for i in (1..=m).rev() {
        pred_off[i] = pred_off[i - 1];
    }
    pred_off[0] = 0;
    // 3. Semidominators, processing vertices in reverse preorder; `ancestor`/`label`
    //    form the link-eval forest with path compression.
    let mut semi: Vec<u32> = (0..m as u32).collect();
    let mut label: Vec<u32> = (0..m as u32).collect();
    let mut ancestor = vec![NONE; m];
    let mut path: Vec<u32> = Vec::new();
    for w in (1..m).rev() {
        let mut s = semi[w];
        for &v in &preds[pred_off[w] as usize..pred_off[w + 1] as usize] {
            let u = if v as usize <= w {
                v // a DFS ancestor (or w itself): its own number
            } else {
                eval(v, &mut ancestor, &mut label, &semi, &mut path)
            };
            s = s.min(semi[u as usize]);
        }
        semi[w] = s;
        ancestor[w] = parent[w];
    }
    drop(preds);
    drop(pred_off);
    drop(label);
    // 4. NCA pass: idom is the nearest common ancestor of parent and semidominator
    //    (computed in the `ancestor` buffer, which step 3 no longer needs).
    let mut idom_pre = ancestor;
    idom_pre.copy_from_slice(&parent);
    drop(parent);
    for w in 1..m {
        let mut d = idom_pre[w];
        while d > semi[w] {
            d = idom_pre[d as usize];
        }
        idom_pre[w] = d;
    }
    drop(semi);
    // The preorder map is no longer needed: its buffer becomes the idom array.
    let mut idom = pre;
    idom.fill(NONE);
    for w in 1..m {
        idom[order[w] as usize] = order[idom_pre[w] as usize];
    }
    DomTree { idom, preorder: order }
}

/// Link-eval `eval` with iterative path compression: the vertex of minimum semidominator
/// on the forest path from `v` up to (not including) its forest root.
fn eval(v: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32], path: &mut Vec<u32>) -> u32 {
    if ancestor[v as usize] == NONE {
        return v;
    }
    path.clear();
    let mut x = v;
    while ancestor[ancestor[x as usize] as usize] != NONE {
        path.push(x);
        x = ancestor[x as usize];
    }
    // Compress from the top of the path down.
    for &y in path.iter().rev() {
        let a = ancestor[y as usize];
        if semi[label[a as usize] as usize] < semi[label[y as usize] as usize] {
            label[y as usize] = label[a as usize];
        }
        ancestor[y as usize] = ancestor[a as usize];
    }
    label[v as usize]
}

/// Retained size of every node: its own size plus that of every node it dominates.
pub fn retained_sizes(tree: &DomTree, size: impl Fn(u32) -> u64) -> Vec<u64> {
    let n = tree.idom.len();
    let mut retained = vec![0u64; n];
    for &v in tree.preorder.iter().rev() {
        retained[v as usize] += size(v);
        let d = tree.idom[v as usize];
        if d != NONE {
            retained[d as usize] += retained[v as usize];
        }
    }
    retained
}

/// Children lists of the dominator tree as CSR (offsets, children), children in preorder.
pub fn children(tree: &DomTree) -> (Vec<u32>, Vec<u32>) {
    let n = tree.idom.len();
    let mut off = vec![0u32; n + 1];
    for &v in &tree.preorder {
        let d = tree.idom[v as usize];
        if d != NONE {
            off[d as usize + 1] += 1;
        }
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut kids = vec![0u32; off[n] as usize];
    for &v in &tree.preorder {
        let d = tree.idom[v as usize];
        if d != NONE {
            kids[off[d as usize] as usize] = v;
            off[d as usize] += 1;
        }
    }
    for i in (1..=n).rev() {
        off[i] = off[i - 1];
    }
    off[0] = 0;
    (off, kids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dominators by definition: d dominates v iff v is unreachable from the root once d is
    /// removed. idom(v) is the dominator of v that every other strict dominator dominates.
    fn naive(n: usize, edges: &[(u32, u32)], root: u32) -> Vec<u32> {
        let reach = |skip: u32| -> Vec<bool> {
            let mut seen = vec![false; n];
            if skip == root {
                return seen;
            }
            let mut st = vec![root];
            seen[root as usize] = true;
            while let Some(v) = st.pop() {
                for &(a, b) in edges {
                    if a == v && b != skip && !seen[b as usize] {
                        seen[b as usize] = true;
                        st.push(b);
                    }
                }
            }
            seen
        };
        let all = reach(NONE);
        let doms: Vec<Vec<u32>> = (0..n as u32)
            .map(|d| {
                let r = reach(d);
                (0..n as u32).filter(|&v| all[v as usize] && !r[v as usize] && v != d).collect()
            })
            .collect();
        // dominated_by[v] = strict dominators of v
        let mut strict: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (d, vs) in doms.iter().enumerate() {
            for &v in vs {
                strict[v as usize].push(d as u32);
            }
        }
        (0..n)
            .map(|v| {
                if v as u32 == root || !all[v] {
                    return NONE;
                }
                // the strict dominator with the most strict dominators of its own is the closest
                *strict[v].iter().max_by_key(|&&d| strict[d as usize].len()).unwrap()
            })
            .collect()
    }

    fn csr(n: usize, edges: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>) {
        let mut off = vec![0u32; n + 1];
        for &(a, _) in edges {
            off[a as usize + 1] += 1;
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        let mut fill = off.clone();
        let mut e = vec![0u32; edges.len()];
        for &(a, b) in edges {
            e[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
        }
        (off, e)
    }

    /// xorshift: deterministic random graphs without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn matches_naive_dominators_on_random_graphs() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let n = 1 + (rng.next() % 24) as usize;
            let m = (rng.next() % (3 * n as u64 + 1)) as usize;
            let mut edges: Vec<(u32, u32)> =
                (0..m).map(|_| ((rng.next() % n as u64) as u32, (rng.next() % n as u64) as u32)).collect();
            if case % 3 == 0 {
                // a chain keeps deep trees in the mix
                edges.extend((1..n as u32).map(|v| (v - 1, v)));
            }
            let (off, e) = csr(n, &edges);
            let tree = dominators(&Csr { offsets: &off, edges: &e }, 0);
            assert_eq!(tree.idom, naive(n, &edges, 0), "case {case}: n={n} edges={edges:?}");
        }
    }

    #[test]
    fn retained_sizes_sum_dominated_subtrees() {
        // 0 -> 1 -> 2 -> 3, 0 -> 4 -> 3 : 3 is shared, dominated by 0 only.
        let edges = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 3)];
        let (off, e) = csr(5, &edges);
        let tree = dominators(&Csr { offsets: &off, edges: &e }, 0);
        let r = retained_sizes(&tree, |v| [0, 10, 20, 40, 80][v as usize]);
        assert_eq!(r, vec![150, 30, 20, 40, 80]);
    }

    #[test]
    fn deep_chain_needs_no_recursion() {
        let n = 2_000_000u32;
        let edges: Vec<(u32, u32)> = (1..n).map(|v| (v - 1, v)).collect();
        let (off, e) = csr(n as usize, &edges);
        let tree = dominators(&Csr { offsets: &off, edges: &e }, 0);
        assert_eq!(tree.idom[(n - 1) as usize], n - 2);
        let r = retained_sizes(&tree, |_| 1);
        assert_eq!(r[0], n as u64);
    }
}
