"""`gongkai extract`: report files → extracted-statistics files (checks.extract)."""
