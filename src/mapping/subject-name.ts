/**
 * The canonical subject a spec's `target.subject` names. The seed spells subjects as Kafka
 * topics ("canonical.order.v1"); canonql names the subject ("order") and versions its schema in
 * the catalog, so a leading "canonical." and a trailing ".vN" are dropped. "order" stays "order".
 */
export function subjectName(targetSubject: string): string {
  return targetSubject.replace(/^canonical\./, '').replace(/\.v\d+$/, '');
}

/** A subject becomes GraphQL type and collection names, so it must be an identifier. */
export function isValidSubjectName(subject: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(subject);
}
