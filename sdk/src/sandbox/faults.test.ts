/** FaultyLink: a one-shot drop takes exactly the next frame (either direction), the frames after it pass. */
import { FaultyLink, type IFaultPlan } from './faults.js';

describe('FaultyLink', () => {
  it('drops the connection once on dropConnectionOnce, for whichever direction sees the next frame', () => {
    const plan: IFaultPlan = { dropConnectionOnce: true };
    let drops = 0;
    const passed: string[] = [];
    const toAgent = new FaultyLink(
      () => plan,
      () => drops++,
      false
    );
    const toClient = new FaultyLink(
      () => plan,
      () => drops++,
      true
    );
    toClient.pass(Buffer.from('a'), frame => passed.push(String(frame)));
    toAgent.pass(Buffer.from('b'), frame => passed.push(String(frame)));
    toClient.pass(Buffer.from('c'), frame => passed.push(String(frame)));
    expect(drops).toBe(1);
    expect(passed).toEqual(['b', 'c']);
    expect(plan.dropConnectionOnce).toBe(false);
  });

  it('leaves a plan without the one-shot as it was', () => {
    const plan: IFaultPlan = { dropConnectionEvery: 2 };
    let drops = 0;
    const link = new FaultyLink(
      () => plan,
      () => drops++,
      false
    );
    for (const text of ['a', 'b', 'c', 'd']) {
      link.pass(Buffer.from(text), () => undefined);
    }
    expect(drops).toBe(2);
    expect(plan).toEqual({ dropConnectionEvery: 2 });
  });
});
