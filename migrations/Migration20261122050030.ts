import { Migration } from '@mikro-orm/migrations';

export class Migration20261122050030 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "restaurants" ("id" uuid not null, "name" varchar(200) not null, "slug" varchar(100) not null, "last_order_number" int not null default 0, "last_event_sequence" bigint not null default 0, "created_at" timestamptz not null default now(), constraint "restaurants_pkey" primary key ("id"));`);
    this.addSql(`alter table "restaurants" add constraint "restaurants_slug_unique" unique ("slug");`);

    this.addSql(`create table "orders" ("id" uuid not null, "restaurant_id" uuid not null, "number" int not null, "type" text check ("type" in ('DINE_IN', 'TAKEOUT', 'DELIVERY')) not null default 'DINE_IN', "status" text check ("status" in ('PENDING', 'PREPARING', 'READY', 'COMPLETED', 'CANCELLED')) not null default 'PENDING', "rush" boolean not null default false, "table" varchar(100) null, "customer_name" varchar(100) null, "notes" varchar(500) null, "version" int not null default 1, "client_request_id" varchar(100) not null, "request_hash" varchar(64) not null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null, "started_at" timestamptz(3) null, "ready_at" timestamptz(3) null, "completed_at" timestamptz(3) null, "cancelled_at" timestamptz(3) null, "cancel_reason" varchar(500) null, constraint "orders_pkey" primary key ("id"));`);
    this.addSql(`create index orders_live_queue_index on orders (restaurant_id, rush desc, created_at, number) where status in ('PENDING', 'PREPARING', 'READY');`);
    this.addSql(`create index "orders_restaurant_status_number_index" on "orders" ("restaurant_id", "status", "number");`);
    this.addSql(`alter table "orders" add constraint "orders_restaurant_number_unique" unique ("restaurant_id", "number");`);
    this.addSql(`alter table "orders" add constraint "orders_restaurant_client_request_unique" unique ("restaurant_id", "client_request_id");`);

    this.addSql(`create table "kitchen_events" ("id" uuid not null, "restaurant_id" uuid not null, "sequence" bigint not null, "kind" text check ("kind" in ('SNAPSHOT', 'ORDER_CREATED', 'ORDER_UPDATED', 'ORDER_STATUS_CHANGED', 'ITEM_STATUS_CHANGED')) not null, "order_id" uuid not null, "previous_status" text check ("previous_status" in ('PENDING', 'PREPARING', 'READY', 'COMPLETED', 'CANCELLED')) null, "payload" jsonb not null, "created_at" timestamptz(3) not null, constraint "kitchen_events_pkey" primary key ("id"));`);
    this.addSql(`create index "kitchen_events_order_id_index" on "kitchen_events" ("order_id");`);
    this.addSql(`create index "kitchen_events_created_at_index" on "kitchen_events" ("created_at");`);
    this.addSql(`alter table "kitchen_events" add constraint "kitchen_events_restaurant_sequence_unique" unique ("restaurant_id", "sequence");`);

    this.addSql(`create table "stations" ("id" uuid not null, "restaurant_id" uuid not null, "name" varchar(100) not null, "expo" boolean not null default false, "position" int not null default 0, constraint "stations_pkey" primary key ("id"));`);
    this.addSql(`alter table "stations" add constraint "stations_restaurant_id_name_unique" unique ("restaurant_id", "name");`);

    this.addSql(`create table "order_items" ("id" uuid not null, "order_id" uuid not null, "position" int not null default 0, "name" varchar(200) not null, "quantity" int not null default 1, "modifiers" text[] not null default '{}', "notes" varchar(500) null, "station_id" uuid null, "status" text check ("status" in ('PENDING', 'PREPARING', 'READY', 'VOIDED')) not null default 'PENDING', constraint "order_items_pkey" primary key ("id"));`);
    this.addSql(`create index "order_items_order_id_index" on "order_items" ("order_id");`);

    this.addSql(`alter table "orders" add constraint "orders_restaurant_id_foreign" foreign key ("restaurant_id") references "restaurants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "kitchen_events" add constraint "kitchen_events_restaurant_id_foreign" foreign key ("restaurant_id") references "restaurants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "kitchen_events" add constraint "kitchen_events_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "stations" add constraint "stations_restaurant_id_foreign" foreign key ("restaurant_id") references "restaurants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "order_items" add constraint "order_items_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_items" add constraint "order_items_station_id_foreign" foreign key ("station_id") references "stations" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "orders" drop constraint "orders_restaurant_id_foreign";`);

    this.addSql(`alter table "kitchen_events" drop constraint "kitchen_events_restaurant_id_foreign";`);

    this.addSql(`alter table "stations" drop constraint "stations_restaurant_id_foreign";`);

    this.addSql(`alter table "kitchen_events" drop constraint "kitchen_events_order_id_foreign";`);

    this.addSql(`alter table "order_items" drop constraint "order_items_order_id_foreign";`);

    this.addSql(`alter table "order_items" drop constraint "order_items_station_id_foreign";`);

    this.addSql(`drop table if exists "restaurants" cascade;`);

    this.addSql(`drop table if exists "orders" cascade;`);

    this.addSql(`drop table if exists "kitchen_events" cascade;`);

    this.addSql(`drop table if exists "stations" cascade;`);

    this.addSql(`drop table if exists "order_items" cascade;`);
  }

}
