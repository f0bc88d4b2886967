import { z } from 'zod';

const isoDate = z.iso.datetime({ offset: true });

/** An agent renewing its NATS credentials: it proves itself with the machine token it got at enrollment. */
export const renewCredentialsRequestSchema = z
  .strictObject({
    machineToken: z.string().min(16).max(200),
    agentVersion: z.string().trim().min(1).max(40).optional(),
  })
  .meta({ id: 'RenewCredentialsRequest' });
export type RenewCredentialsRequest = z.infer<typeof renewCredentialsRequestSchema>;

export const renewCredentialsResponseSchema = z
  .object({
    userJwt: z.string().meta({ description: 'a new NATS user JWT for the same nkey and subjects' }),
    jwtExpiresAt: isoDate,
    natsUrl: z.string(),
  })
  .meta({ id: 'RenewCredentialsResponse' });
export type RenewCredentialsResponse = z.infer<typeof renewCredentialsResponseSchema>;

/** What disabling or deleting a machine did to its agent's credentials. */
export const machineRevocationSchema = z
  .object({
    revocation: z.enum(['applied', 'pending']).meta({
      description: 'applied: NATS closed the agent’s connection and refuses its credentials; pending: NATS could not be reached, the API retries (renewal is refused meanwhile)',
    }),
  })
  .meta({ id: 'MachineRevocation' });
export type MachineRevocation = z.infer<typeof machineRevocationSchema>;
