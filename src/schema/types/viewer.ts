import type { Viewer } from '../../auth/viewer.js';
import { NotFoundError } from '../../domain/errors.js';
import { ROLES } from '../../domain/vocabulary.js';
import { builder, viewerOf } from '../builder.js';
import { RestaurantRef } from './restaurant.js';

export const RoleEnum = builder.enumType('Role', { values: ROLES });

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The staff member (or device) that the bearer token speaks for.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { nullable: true }),
    role: t.field({ type: RoleEnum, resolve: (viewer) => viewer.role }),
    restaurant: t.field({
      type: RestaurantRef,
      resolve: async (viewer, _args, context) => {
        const restaurant = await context.services.restaurants.find(viewer.restaurantId);
        if (!restaurant) throw new NotFoundError('Restaurant');
        return restaurant;
      },
    }),
  }),
});

builder.queryField('me', (t) =>
  t.field({ type: ViewerRef, authScopes: { viewer: true }, resolve: (_root, _args, context) => viewerOf(context) }),
);
