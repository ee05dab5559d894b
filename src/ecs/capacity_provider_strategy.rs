//! A capacity provider strategy (LOAD-BALANCING-AND-CAPACITY.md §2.1): which provider the next
//! task of a service or RunTask call goes to, from `base` and `weight`. The exact interleaving is
//! not documented (\[INFER\]); this rule reproduces the documented examples: the provider with a
//! base takes tasks until it holds `base`, then each task goes to the provider whose share after
//! the base is smallest relative to its weight, ties to the one listed first.

/// One entry of `capacityProviderStrategy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyItem {
    /// Index of the capacity provider in the scenario.
    pub provider: usize,
    pub base: u32,
    pub weight: u32,
}

/// The position in `items` of `provider`'s entry, if the strategy names it.
pub fn item_of(items: &[StrategyItem], provider: usize) -> Option<usize> {
    items.iter().position(|it| it.provider == provider)
}

/// The provider for the next task, given how many tasks each item's provider holds now
/// (`held[i]` for `items[i]`). `None` when no item can take tasks (every weight 0 and the base
/// met), which AWS refuses when the strategy is created.
pub fn next_provider(items: &[StrategyItem], held: &[u32]) -> Option<usize> {
    if let Some((i, _)) = items.iter().enumerate().find(|(i, it)| it.base > 0 && held[*i] < it.base) {
        return Some(items[i].provider);
    }
    // Smallest (held after base + 1) / weight, compared as fractions without rounding: a/w < b/v
    // iff a*v < b*w.
    let after_base = |i: usize| u64::from(held[i].saturating_sub(items[i].base)) + 1;
    items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.weight > 0)
        .min_by(|(a, x), (b, y)| {
            (after_base(*a) * u64::from(y.weight)).cmp(&(after_base(*b) * u64::from(x.weight))).then(a.cmp(b))
        })
        .map(|(_, it)| it.provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(items: &[StrategyItem], tasks: u32) -> Vec<u32> {
        let mut held = vec![0u32; items.len()];
        for _ in 0..tasks {
            let p = next_provider(items, &held).expect("a provider");
            let i = item_of(items, p).unwrap();
            held[i] += 1;
        }
        held
    }

    /// §2.1's worked example: base 2 on A, weights A = 1 and B = 3, 10 tasks: A 2 + 2 = 4, B 6.
    #[test]
    fn base_then_weights() {
        let items =
            [StrategyItem { provider: 0, base: 2, weight: 1 }, StrategyItem { provider: 1, base: 0, weight: 3 }];
        assert_eq!(assign(&items, 10), [4, 6]);
        // The first tasks fill the base, then B leads 3 to 1.
        assert_eq!(assign(&items, 2), [2, 0]);
        assert_eq!(assign(&items, 6), [3, 3]);
    }

    /// A weight-0 provider gets no tasks beyond its base; all weights 0 and the base met: none.
    #[test]
    fn weight_zero_takes_only_its_base() {
        let items =
            [StrategyItem { provider: 0, base: 1, weight: 0 }, StrategyItem { provider: 1, base: 0, weight: 1 }];
        assert_eq!(assign(&items, 5), [1, 4]);
        let only_base = [StrategyItem { provider: 0, base: 2, weight: 0 }];
        assert_eq!(next_provider(&only_base, &[2]), None);
    }

    /// Equal weights alternate, starting with the provider listed first; a replacement goes back
    /// to the provider that lost the task.
    #[test]
    fn equal_weights_alternate_and_losses_are_refilled() {
        let items =
            [StrategyItem { provider: 7, base: 0, weight: 1 }, StrategyItem { provider: 3, base: 0, weight: 1 }];
        assert_eq!(assign(&items, 5), [3, 2]);
        assert_eq!(next_provider(&items, &[3, 1]), Some(3), "the provider short of its share");
    }
}
