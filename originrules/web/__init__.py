"""The local web workspace (`originrules serve`): app.py has the routes, templates/ the pages,
static/ the style sheet and the one small script (no CDN). docs/web.md."""
