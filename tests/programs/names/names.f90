! Fortran names for lineprof's tests: a module procedure (gfortran's
! symbol is __mymod_MOD_compute, its DWARF a DW_TAG_module "mymod" around
! "compute") and a procedure contained in the program.
module mymod
  implicit none
contains
  function compute(n) result(s)
    integer, intent(in) :: n
    double precision :: s
    integer :: i

    s = 0
    do i = 1, n
      s = s + sqrt(dble(i)) * 1.0000001d0 ! HOT
    end do
  end function compute
end module mymod

program names
  use mymod
  implicit none
  integer :: r
  double precision :: t

  t = 0
  do r = 1, 40
    t = t + compute(2000000) + tally(r)
  end do
  print *, t
contains
  function tally(r) result(v)
    integer, intent(in) :: r
    double precision :: v

    v = dble(r) * 0.5d0 ! TALLY
  end function tally
end program names
