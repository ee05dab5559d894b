//! English for numbers in messages: "1 task", "3 tasks" (a log that says "held 1 tasks" reads as
//! careless, and users quote these lines).

/// `n` and the noun, singular for exactly one: `count(1, "task")` is "1 task", `count(3,
/// "task")` "3 tasks". Nouns whose plural is not a trailing `s` use [`count_as`].
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// `n` with an explicit plural: `count_as(2, "entry", "entries")`.
pub fn count_as(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1u32, "task"), "1 task");
        assert_eq!(count(0u32, "task"), "0 tasks");
        assert_eq!(count(12u64, "instance group"), "12 instance groups");
        assert_eq!(count_as(1u32, "entry", "entries"), "1 entry");
        assert_eq!(count_as(2u32, "entry", "entries"), "2 entries");
    }
}
