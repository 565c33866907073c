import 'reflect-metadata';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { type MfaMethod, MfaMethods } from '@mfa/contracts';
import { MFA_METHOD_MODULES } from '../mfa-service.module';
import { codeProof, type DeviceMethod } from './device-method';
import { DeviceMethodProvider, MethodRegistry } from './method-registry';

type Class = abstract new (...args: never[]) => unknown;

/** The classes marked @DeviceMethodProvider in the method modules the root module imports, by the type they declare. */
function registeredMethodClasses(): { type: MfaMethod; cls: Class }[] {
  return MFA_METHOD_MODULES.flatMap((m) => (Reflect.getMetadata(MODULE_METADATA.PROVIDERS, m) ?? []) as unknown[])
    .filter((p): p is Class => typeof p === 'function')
    .map((cls) => ({ cls, type: Reflect.getMetadata(DeviceMethodProvider.KEY, cls) as MfaMethod | undefined }))
    .filter((r): r is { type: MfaMethod; cls: Class } => r.type !== undefined);
}

/** A method that only says what it is: enough for the registry's own rules. */
function stub(type: MfaMethod, accepts = false): DeviceMethod {
  return { type, label: type, accepts: () => accepts } as unknown as DeviceMethod;
}

describe('MethodRegistry', () => {
  it('has exactly one registered method per name of the contracts list, and no other', () => {
    const found = registeredMethodClasses();
    expect(found.map((f) => f.type).sort()).toEqual([...MfaMethods].sort());
    expect(new Set(found.map((f) => f.type)).size).toBe(found.length);
  });

  it('each method class says the type it is registered under', () => {
    for (const { type, cls } of registeredMethodClasses()) {
      // the instance field `type`; constructed without dependencies (the constructor only stores them)
      const instance = Reflect.construct(cls as unknown as new (...a: unknown[]) => DeviceMethod, []);
      expect(instance.type).toBe(type);
      expect(instance.label.length).toBeGreaterThan(0);
    }
  });

  it('refuses to start with a name of the list missing', () => {
    const registry = new MethodRegistry(null as never);
    expect(() => registry.register(MfaMethods.slice(1).map((t) => ({ type: t, method: stub(t) })))).toThrow(
      `no device method registered for ${MfaMethods[0]}`,
    );
  });

  it('refuses two methods for one name, and a method registered under another name than its own', () => {
    const all = MfaMethods.map((t) => ({ type: t, method: stub(t) }));
    expect(() => new MethodRegistry(null as never).register([...all, all[0]])).toThrow(`two device methods for ${MfaMethods[0]}`);
    expect(() =>
      new MethodRegistry(null as never).register([{ type: MfaMethods[0], method: stub(MfaMethods[1]) }, ...all.slice(1)]),
    ).toThrow(/is registered as/);
  });

  it('answers each method by its type, and whether any method can check a proof', () => {
    const registry = new MethodRegistry(null as never);
    const methods = MfaMethods.map((t, i) => stub(t, i === 0));
    registry.register(methods.map((method) => ({ type: method.type, method })));
    MfaMethods.forEach((t, i) => expect(registry.get(t)).toBe(methods[i]));
    expect(registry.types().sort()).toEqual([...MfaMethods].sort());
    expect(registry.acceptsAny(codeProof('123456'))).toBe(true);
    const none = new MethodRegistry(null as never);
    none.register(MfaMethods.map((t) => ({ type: t, method: stub(t) })));
    expect(none.acceptsAny({ kind: 'webauthn.assertion' })).toBe(false);
    expect(() => none.get('fido' as MfaMethod)).toThrow('no device method registered for fido');
  });
});
