import type { Team, TeamBody, UpdateTeamBody } from '@vigie/core';
import { http } from './http';

const id = (value: string) => encodeURIComponent(value);

/** Every team with its members (every staff member reads them: the ticket pickers and filters). */
export const listTeams = () => http.get<{ items: Team[] }>('/teams');
/** Admins: 409 when the name is taken (whatever its case), 400 on `memberIds` when one is not active staff. */
export const createTeam = (body: TeamBody) => http.post<Team>('/teams', body);
export const updateTeam = (teamId: string, body: UpdateTeamBody) => http.patch<Team>(`/teams/${id(teamId)}`, body);
/** Its tickets keep their technician and lose the team. */
export const deleteTeam = (teamId: string) => http.delete(`/teams/${id(teamId)}`);

export type { Team };
