"""The public site (server-rendered HTML, Chinese, no CDN): the item list, plans, tasks and their
draws, and how to verify them. Results and reports have their pages in their own domains."""
