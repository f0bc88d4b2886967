import fs from 'node:fs';
import { connect, credsAuthenticator, StringCodec } from 'nats';

/** The generated operator/account set-up: services get in with their creds, nobody gets in without. */
const servers = process.env.NATS_URL!;

it('accepts the service credentials, with JetStream enabled on the VIGIE account', async () => {
  const nc = await connect({ servers, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  try {
    const sc = StringCodec();
    const sub = nc.subscribe('vigie.test.echo', { max: 1 });
    nc.publish('vigie.test.echo', sc.encode('ping'));
    for await (const msg of sub) expect(sc.decode(msg.data)).toBe('ping');
    const info = await (await nc.jetstreamManager()).getAccountInfo();
    expect(info.limits.max_storage).toBe(-1);
  } finally {
    await nc.close();
  }
});

it('refuses a connection without credentials', async () => {
  await expect(connect({ servers, reconnect: false })).rejects.toThrow(/Authorization Violation|AUTHORIZATION_VIOLATION/i);
});
