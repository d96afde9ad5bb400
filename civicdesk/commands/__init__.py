"""The `civicdesk` command's groups, one module each; `civicdesk/cli.py` registers them."""
