"""HTTP plumbing shared by every domain: request reading, parameters, headers, OpenAPI, page rendering."""
