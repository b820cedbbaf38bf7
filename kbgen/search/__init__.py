"""Site search: text normalization, lunr pipelines, index building, and the Python query
that the browser's search-core.js mirrors."""
