/** The operation the explorer opens with: the demo domain at a glance. */
export const DEMO_QUERY = `# canonql: canonical entities from Debezium change events.
# Try the subscription too:  subscription { customerChanged { op key cursor node { email tier balance } } }
query Demo {
  subjects { name version count }
  customers(first: 5, orderBy: { field: updatedAt, direction: DESC }) {
    totalCount
    edges { node { id email name tier balance _meta { version updatedAt } } }
  }
  orders(first: 5, orderBy: { field: updatedAt, direction: DESC }) {
    totalCount
    edges { node { id order_id customer { email account { name tier } } line_items { sku } _meta { version position } } }
  }
}
`;
