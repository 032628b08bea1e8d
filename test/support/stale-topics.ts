import type { Admin } from 'kafkajs';
import { isStaleCreation } from './stale-databases';

/**
 * Topics that earlier test or benchmark runs made and did not delete (most tests leave theirs: a
 * topic is cheap to make and slow to delete). Each is named from `uniqueName`
 * (`<prefix>_<ms, base 36>_<6 hex>`), alone or followed by a dotted suffix: a canonical topic
 * prefix's `.order`, a connector's `.public.customers`. Left alone they pile up in the local
 * broker, and every kafkajs client pays for them: its connect, and every `listTopics`, asks for
 * the metadata of every topic (1,172 topics: 11–28 ms per `listTopics`).
 */
const UNIQUE_TOPIC = /^[a-z][a-z0-9_.-]*_([0-9a-z]{8,9})_[0-9a-f]{6}(?:\.[A-Za-z0-9_.-]+)?$/;

/** Topics deleted per request. */
const DELETE_CHUNK = 200;

/** Whether `topic` is a test topic made more than STALE_AFTER_MS (stale-databases.ts) before `nowMs`. */
export function isStaleTestTopic(topic: string, nowMs: number): boolean {
  const match = UNIQUE_TOPIC.exec(topic);
  return match !== null && isStaleCreation(match[1]!, nowMs);
}

/** Deletes the stale test topics of the broker `admin` is connected to; returns their names. */
export async function deleteStaleTestTopics(admin: Pick<Admin, 'listTopics' | 'deleteTopics'>, nowMs = Date.now()): Promise<string[]> {
  const stale = (await admin.listTopics()).filter((topic) => isStaleTestTopic(topic, nowMs));
  for (let at = 0; at < stale.length; at += DELETE_CHUNK) {
    await admin.deleteTopics({ topics: stale.slice(at, at + DELETE_CHUNK), timeout: 30_000 });
  }
  return stale;
}
