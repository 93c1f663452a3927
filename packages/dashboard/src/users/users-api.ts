import { api, query } from '../api/client';
import type { Role, User } from '../api/types';
import type { ListPage } from '../common/use-paged-list';

export interface UserFilter {
  role?: Role | undefined;
  active?: boolean | undefined;
}

export const listUsers = (filter: UserFilter, cursor?: string): Promise<ListPage<User>> =>
  api<{ users: User[]; next_cursor: string | null }>(
    'GET',
    `/users${query({ limit: 100, cursor, role: filter.role, active: filter.active === undefined ? undefined : String(filter.active) })}`,
  ).then((a) => ({ items: a.users, next: a.next_cursor }));

export const createUser = (email: string, password: string, role: Role) => api<{ user: User }>('POST', '/users', { email, password, role }).then((a) => a.user);

export const updateUser = (id: string, change: { role?: Role; active?: boolean }) => api<{ user: User }>('PUT', `/users/${id}`, change).then((a) => a.user);

export const deleteUser = (id: string) => api('DELETE', `/users/${id}`);
