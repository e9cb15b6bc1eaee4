from ninja import Router, Schema

router = Router(tags=["users"])


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request):
    return request.user
