"""File output: atomic writes, the CLI's report and PNG figures."""
