"""CRM, ticket and order exports into the profile store, driven by mapping files."""
