"""What every routing system shares: the first-match table IR and its analysis (`tables`), the proxies'
request rewriting (`rewrites`), and route-target resolution against the inventory (`targets`)."""
