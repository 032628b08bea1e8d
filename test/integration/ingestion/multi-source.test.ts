import type { MappingSpec } from '../../../src/mapping/mapping-spec';
import { stateCollectionName } from '../../../src/state/entity-store';
import { pgChange, produce } from '../../support/debezium-messages';
import { startIngestionHarness, specFromFile } from '../../support/ingestion-harness';
import { testKafka, uniqueName } from '../../support/test-env';

/**
 * Two specs feed one subject: the PostgreSQL customer spec, and a CRM source whose e-mail wins
 * (precedence 5). Each field root goes to the highest precedence, whatever the arrival order; a
 * source never erases a field another source owns.
 */
describe('several sources merged into one subject with per-field precedence', () => {
  const kafka = testKafka();

  it('keeps the higher-precedence e-mail, the other source still updates its own fields', async () => {
    const pgTopic = uniqueName('raw.pg.customers');
    const crmTopic = uniqueName('raw.crm.contacts');
    const crm: MappingSpec = {
      mappingId: 'customer-from-crm',
      source: { type: 'kafka', topic: crmTopic },
      target: { subject: 'customer' },
      key: { source: true },
      fieldMappings: [
        { src: '$.id', dst: '$.customerId', transform: 'string' },
        { src: '$.email', dst: '$.email', transform: ['trim', 'lowercase'], precedence: 5 },
      ],
    };
    const harness = await startIngestionHarness([specFromFile('customer.json', pgTopic), crm]);
    try {
      const row = (lsn: number, email: string, name: string) =>
        pgChange({
          op: lsn === 1 ? 'c' : 'u',
          key: { id: 1 },
          lsn,
          after: { id: 1, email, name, balance: '1.00', tier: 'gold' },
        });
      await produce(kafka, pgTopic, [row(1, 'a@pg.io', 'Ada')]);
      await harness.waitForOutcomes(1);
      await produce(kafka, crmTopic, [pgChange({ op: 'u', key: { id: 1 }, lsn: 7, after: { id: 1, email: ' CRM@X.IO ' } })]);
      await harness.waitForOutcomes(2);
      await produce(kafka, pgTopic, [row(2, 'a2@pg.io', 'Ada Lovelace')]);
      await harness.waitForOutcomes(3);

      const doc = await harness.db.collection(stateCollectionName('customer')).findOne({ _id: '1' as never });
      expect(doc!.data).toEqual({ customerId: '1', email: 'crm@x.io', name: 'Ada Lovelace', balance: '1.00', tier: 'GOLD' });
      expect(doc!._meta.claims.email).toEqual({ spec: 'customer-from-crm', precedence: 5 });
      // The spec that wrote last owns the state: its claims are stored as their precedence alone.
      expect(doc!._meta.specId).toBe('customer-canonicalization');
      expect(doc!._meta.claims.name).toBe(0);
      expect(Object.keys(doc!._meta.positions).sort()).toHaveLength(2);
      expect(harness.ingestion.stats.outcomes).toMatchObject({ applied: 3, 'dead-lettered': 0 });
    } finally {
      await harness.stop();
    }
  });
});
