"""Reviews keep the checklist and materials list they were made with (reference_documents, by sha256).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reference_documents',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checklist_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('materials_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('materials_sha256')
        batch_op.drop_column('checklist_sha256')
    op.drop_table('reference_documents')
