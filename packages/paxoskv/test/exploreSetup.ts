// What the explorer tests share (explore, exploreKeyPromise, recoveryFence): the two safety
// invariants over 'chosen'/'acked' observations, the env knobs for bigger bounds, and a search
// from the state a scripted prefix leads to.
import { ackedAreChosen, atMostOneChosen, explore, formatExploreResult, modelAfter, type MessageWorld, type ScheduleStep } from '@quorumkit/test-harness';

/** EXPLORE_DEPTH is added to every depth bound (torture runs) */
export const extraDepth = Number(process.env.EXPLORE_DEPTH ?? 0);
/** a safety net: the depth bounds decide, so a loaded machine is slower, not red */
export const timeMsMax = Number(process.env.EXPLORE_MS ?? 600_000);

type InstanceObs = { kind: 'chosen' | 'acked'; instance: string; value: string };

/** at most one value chosen per instance, and every acknowledged write chosen */
export function safetyInvariants<O extends InstanceObs>() {
  const chosen = (o: O) => (o.kind === 'chosen' ? { instance: o.instance, value: o.value } : undefined);
  const acked = (o: O) => (o.kind === 'acked' ? { instance: o.instance, value: o.value } : undefined);
  return [atMostOneChosen(chosen), ackedAreChosen(acked, chosen)];
}

/** Explore every schedule within the bounds from where `prefix` leads (printed with the result). */
export function searchAfter<N, D, P, M, C, O>(m: MessageWorld<N, D, P, M, C, O>, prefix: ScheduleStep<M, C>[], depthMax: number) {
  const { model, lines } = modelAfter(m, prefix);
  const r = explore(model, { depthMax, timeMsMax });
  console.log(`prefix:\n${lines.map((l) => `    ${l}`).join('\n')}\n${formatExploreResult(r)}`);
  return r;
}
