"""the network: councils side by side, open data, and places on a map

Revision ID: 0024_network
Revises: 0023_motion_proposals
Create Date: 2026-12-06 21:40:00.000000

- ``councils.in_network``: the council is shown on the network's pages (true for every
  council already there: the deployment already showed them together on its home page);
  ``councils.open_data_voter_details``: a published pot's open data gives each ballot's
  voter's neighbourhood and age band (false: nothing about voters until a council says so).
- ``neighbourhoods.boundary``: the neighbourhood's GeoJSON geometry, once uploaded.
- ``proposals.latitude``/``longitude`` (both or neither: ``ck_proposals_point_has_both_
  coordinates``; on the earth: ``ck_proposals_point_on_earth``), ``address_uprn`` (the
  address list's entry it was placed at) and ``neighbourhood_id`` (where that point is).
- ``gazetteer_addresses.latitude``/``longitude``: where an address is, when the council's
  extract gives it.
- ``pot_figures``: what a counted pot's ballots say beyond its result (voters, funded under
  the round's rule and under greedy), worked out once with the result, so the network's pages
  never count ballots. Written once, like ``pot_results``: the app's role may only read and
  insert (``app.workflow.database_roles.READ_AND_INSERT``).
"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0024_network"
down_revision = "0023_motion_proposals"
branch_labels = None
depends_on = None


@contextmanager
def _foreign_keys_off():
    """On SQLite, rebuilding a table (``batch_alter_table``) drops the old one: with foreign
    keys on, that would cascade to the rows pointing at it (a proposal's contributions and
    delivery updates). Off while rebuilding, and checked after."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        raw = bind.connection.driver_connection
        if raw.in_transaction:
            raw.commit()
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    yield
    if sqlite:
        problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the migration: {problems}")
        raw = bind.connection.driver_connection
        if raw.in_transaction:
            raw.commit()
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")


def _point_columns(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("latitude", sa.Numeric(9, 6), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Numeric(9, 6), nullable=True))
        batch.create_check_constraint(
            "point_has_both_coordinates", "(latitude IS NULL) = (longitude IS NULL)"
        )


def upgrade() -> None:
    op.add_column(
        "councils",
        sa.Column("in_network", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column(
        "councils",
        sa.Column(
            "open_data_voter_details",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )
    op.add_column("neighbourhoods", sa.Column("boundary", sa.Text(), nullable=True))
    with _foreign_keys_off():
        _points()


def _points() -> None:
    _point_columns("gazetteer_addresses")
    _point_columns("proposals")
    with op.batch_alter_table("proposals") as batch:
        batch.create_check_constraint(
            "point_on_earth",
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90 "
            "AND longitude >= -180 AND longitude <= 180)",
        )
        batch.add_column(sa.Column("address_uprn", sa.String(12), nullable=True))
        batch.add_column(sa.Column("neighbourhood_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_proposals_neighbourhood_id_neighbourhoods"),
            "neighbourhoods",
            ["neighbourhood_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "pot_figures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("rounds.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("pot_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pot_id", "round_id"],
            ["pots.id", "pots.round_id"],
            name="fk_pot_figures_pot_in_round",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("round_id", "pot_id"),
    )


def downgrade() -> None:
    op.drop_table("pot_figures")
    with _foreign_keys_off():
        _no_points()
    op.drop_column("neighbourhoods", "boundary")
    op.drop_column("councils", "open_data_voter_details")
    op.drop_column("councils", "in_network")


def _no_points() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_constraint(
            op.f("fk_proposals_neighbourhood_id_neighbourhoods"), type_="foreignkey"
        )
        batch.drop_column("neighbourhood_id")
        batch.drop_column("address_uprn")
        batch.drop_constraint(op.f("ck_proposals_point_on_earth"), type_="check")
        batch.drop_constraint(op.f("ck_proposals_point_has_both_coordinates"), type_="check")
        batch.drop_column("longitude")
        batch.drop_column("latitude")
    with op.batch_alter_table("gazetteer_addresses") as batch:
        batch.drop_constraint(
            op.f("ck_gazetteer_addresses_point_has_both_coordinates"), type_="check"
        )
        batch.drop_column("longitude")
        batch.drop_column("latitude")
