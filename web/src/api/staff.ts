import { http } from './http';

export interface StaffMember {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'manager' | 'technician';
}

/** Active staff, readable by every staff member (assignment pickers, filters). */
export const listStaff = () => http.get<{ items: StaffMember[] }>('/staff');
