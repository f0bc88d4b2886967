import type { CreateCommandBody, MachineCommand } from '@vigie/core';
import { sendCommand } from '@/api/rmm';
import { retryKeys } from '@/utils/ids';

/**
 * Sends commands to one machine with an Idempotency-Key per request: sending the same body again after a
 * lost answer reuses its key (the command is made once); once an answer came, the next send is a new command.
 */
export function useSendCommand(machineId: () => string) {
  const keys = retryKeys();
  return {
    async send(body: CreateCommandBody): Promise<MachineCommand> {
      const command = await sendCommand(machineId(), body, keys.keyFor(body));
      keys.forget();
      return command;
    },
    forget: keys.forget,
  };
}
