"""The demo's places: every demo council has boundaries of our own drawing, each proposal a
point inside its neighbourhood, so the demo's round pages show maps; seeding again changes
nothing."""

import shapely
from sqlalchemy import select

from app.demo.places import CENTRES
from app.workflow import places
from app.workflow.models import Council, Neighbourhood, Proposal
from ballots.models import GazetteerAddress
from tests.app.pages import get_page


def snapshot(db):
    db.session.expire_all()
    return (
        sorted(db.session.execute(select(Neighbourhood.id, Neighbourhood.boundary)).all()),
        sorted(
            db.session.execute(
                select(
                    Proposal.id,
                    Proposal.latitude,
                    Proposal.longitude,
                    Proposal.address_uprn,
                    Proposal.neighbourhood_id,
                )
            ).all()
        ),
        sorted(db.session.scalars(select(GazetteerAddress.uprn))),
    )


def test_the_demo_councils_have_maps_and_seeding_again_changes_nothing(runner, db, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    for slug in CENTRES:
        council = db.session.scalar(select(Council).where(Council.slug == slug))
        shapes = places.boundaries(db.session, council)
        assert len(shapes) == len(council.neighbourhoods)
        geometries = [places.shape_of(text) for _, text in shapes]
        assert all(g.is_valid and g.area > 0 for g in geometries)
        # A tiling: the pieces do not overlap.
        overlap = sum(g.area for g in geometries) - shapely.union_all(geometries).area
        assert abs(overlap) < 1e-9
        proposals = db.session.scalars(
            select(Proposal).where(Proposal.round.has(council_id=council.id))
        ).all()
        assert proposals
        for proposal in proposals:
            assert proposal.latitude is not None
            found = places.neighbourhood_at(shapes, proposal.longitude, proposal.latitude)
            assert found is not None and found.id == proposal.neighbourhood_id
    before = snapshot(db)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert snapshot(db) == before
    page = get_page(client, "/councils/lambeth/rounds/youth-services-2026")
    assert len(page.select("#proposals-map svg .devolve-map__marker")) == 14
    rows = [r.select("td")[1].get_text() for r in page.select("#proposals-map-list tbody tr")]
    assert "1 Orchard Row, Brixton" in rows
