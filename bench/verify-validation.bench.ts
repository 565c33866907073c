/**
 * P5v: CPU cost of validating one `mfa.verify`'s data in mfa-service's own pipe
 * (`BusValidationPipe` on `VerifyDto`): the fast shape (`VerifyDto.fastShape`) against
 * class-validator's walk over the same decorators (a subclass without the fast shape, which the
 * pipe judges in full), on the same inputs, rounds interleaved.
 */
import { randomUUID } from 'node:crypto';
import { BusValidationPipe } from '@mfa/bus';
import { VerifyDto } from '../apps/mfa-service/src/verification/verify.dto';
import { fmt, median, type BenchRow } from './lib/stats';

class ByDecorators extends VerifyDto {}

export async function validationCost(n: number, rounds = 5): Promise<BenchRow[]> {
  const pipe = new BusValidationPipe();
  const inputs = Array.from({ length: n }, (_, i) => ({ accountId: randomUUID(), code: String(100_000 + (i % 900_000)) }));
  const perCall = async (metatype: typeof VerifyDto) => {
    const t0 = process.hrtime.bigint();
    for (const data of inputs) await pipe.transform(data, { type: 'body', metatype });
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  };
  const first = await pipe.transform(inputs[0], { type: 'body', metatype: VerifyDto });
  if (!(first instanceof VerifyDto)) throw new Error('P5v: the fast shape did not take a plain verify');
  const fast: number[] = [];
  const full: number[] = [];
  await perCall(ByDecorators); // warm-up
  for (let r = 0; r < rounds; r++) {
    full.push(await perCall(ByDecorators));
    fast.push(await perCall(VerifyDto));
  }
  const f = median(fast);
  const c = median(full);
  return [
    {
      id: 'P5v',
      what: `CPU cost of validating one mfa.verify's data (BusValidationPipe, fast shape; n=${n}, median of ${rounds})`,
      figure: `${fmt(f, 2)} µs`,
      baseline: `class-validator's walk ${fmt(c, 2)} µs`,
      ratio: `${fmt(f / c, 2)}x`,
      goal: '-',
      met: null,
    },
  ];
}
