"""`gongkai check`, `gongkai rules`, `gongkai expectations`: the rule catalogue (checks.rules)."""
